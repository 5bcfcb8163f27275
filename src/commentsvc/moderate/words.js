// The words of the moderation pages (the dashboard, an e-mailed decision link's page): one
// language's catalogue (i18n/dashboard/<lang>.json), fetched when the page picks its language or
// the moderator another, and what fills its messages in. The service names its languages on the
// page's <html> (data-languages, data-right-to-left). Loaded before the page's own script.
"use strict";

const LANGUAGES = document.documentElement.dataset.languages.split(" ");
const RIGHT_TO_LEFT = document.documentElement.dataset.rightToLeft.split(" ");
let lang = "en";
let WORDS = {};
let asked = null; // the language last asked for: a slower answer for an earlier one is dropped

// The first of these language tags ("pt-BR", "de") the pages speak, by its primary subtag; else English.
const nearest = (tags) =>
  tags.filter(Boolean).map((tag) => tag.split("-")[0].toLowerCase()).find((code) => LANGUAGES.includes(code)) || "en";

// Loads a language's words and makes it the page's, with its direction; false if another was
// asked for meanwhile.
async function speak(language) {
  asked = language;
  const response = await fetch(`/moderate/words-${language}.json`);
  const words = await response.json();
  if (asked !== language) return false;
  WORDS = words;
  lang = language;
  document.documentElement.lang = lang;
  document.documentElement.dir = RIGHT_TO_LEFT.includes(lang) ? "rtl" : "ltr";
  return true;
}

// A template with its {placeholders} filled in: a number in the language's digits and separators,
// a function (a word that must follow a change of language, in a status line) by what it returns.
function fillIn(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    const value = typeof values[name] === "function" ? values[name]() : values[name];
    if (value === undefined || value === null) return whole;
    return typeof value === "number" ? value.toLocaleString(lang) : value;
  });
}

// A message of the catalogue, filled in; a counting one (an object of CLDR plural forms) in the
// form its ``n`` calls for.
function t(key, values = {}) {
  const said = WORDS[key];
  const text = typeof said === "object" ? said[new Intl.PluralRules(lang).select(values.n)] || said.other : said;
  return fillIn(text, values);
}

// A rule, report reason, status or audit action by its name in the API; one the catalogue lacks shows as it is.
const label = (group, name) => WORDS[group][name] || name;

// A rule that put an item before a moderator, with what it found when the item says more of it:
// "too many links (5, over the limit of 3)".
function explained(finding) {
  const rule = label("rules", finding.rule);
  const detail = WORDS.details[finding.rule];
  let found = "";
  if (detail && finding.words) found = finding.words.map((word) => fillIn(detail, { word })).join(", ");
  else if (detail && finding.count !== undefined) found = fillIn(detail, finding);
  return found ? t("ruleFound", { rule, found }) : rule;
}

// Why an item is held: each rule with what it found.
const whyHeld = (findings) => t("why", { rules: findings.map(explained).join(t("whySeparator")) });
