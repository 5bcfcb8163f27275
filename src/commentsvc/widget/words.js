// The widget's words: the service serves this script followed by one language's catalogue
// (i18n/widget/<lang>.json) as MESSAGES[lang], so that a page loads its own language only, and of
// it what the page reads (the refused embed's line, the sign-in popup's words are theirs). The
// catalogue holds the interface and every refusal the service can answer. An error's sentence is the
// one of its `reason`, else of its `code` and `field` ("invalid.password"), else of its `code`, else of
// its status class ("4xx", "5xx"); a test checks that every reason and code the service defines has
// one. Plural messages are keyed by CLDR category (Intl.PluralRules). {…} are filled in.
"use strict";
var MESSAGES = {};

// A sentence of the catalogue with its {name} placeholders filled in.
function fillIn(template, values) {
  return template.replace(/\{(\w+)\}/g, function (whole, name) { return values[name] != null ? values[name] : whole; });
}
