// The widget's words: the service serves this script followed by a part of one language's
// catalogue as MESSAGES[lang], so that a page loads its own language only, and of it what the page
// reads: the thread's part (i18n/widget/<lang>.json) first, its forms' part
// (i18n/widget_forms/<lang>.json) when a reader first needs a form, added by addWords; the refused
// embed's line and the sign-in popup's words are their pages'. Between them the parts hold the
// interface and every refusal the service can answer. An error's sentence is the
// one of its `reason`, else of its `code` and `field` ("invalid.password"), else of its `code`, else of
// its status class ("4xx", "5xx"); a test checks that every reason and code the service defines has
// one. Plural messages are keyed by CLDR category (Intl.PluralRules). {…} are filled in.
"use strict";
var MESSAGES = {};

// A sentence of the catalogue with its {name} placeholders filled in.
function fillIn(template, values) {
  return template.replace(/\{(\w+)\}/g, function (whole, name) { return values[name] != null ? values[name] : whole; });
}

// A later part of a language's catalogue joins the part already loaded; a group both have
// (the refusals: the thread's closed discussion, the forms' others) takes the entries of both.
function addWords(language, part) {
  var into = MESSAGES[language];
  for (var key in part) into[key] = into[key] ? Object.assign(into[key], part[key]) : part[key];
}
