"""The hostile-input corpus: what attackers, broken clients and fuzzers send.
Plain data; tests/integration/test_hostile_input.py decides what each must do."""

from __future__ import annotations

# Markup that must never come out as markup: Markdown, raw HTML, mutation XSS
# (parsers disagreeing about where a tag ends), nested and unclosed tags.
# (tests/unit/test_rendering.py pins the exact output of 40 more.)
XSS = {
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "svg-style-mxss": "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "math-mglyph-mxss": "<math><mi><mglyph><svg><mtext><textarea><path id=x onload=alert(1)>",
    "form-math-mxss": "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "template-mxss": "<template><img src=x onerror=alert(1)></template>",
    "textarea-breakout": "<textarea></textarea><script>alert(1)</script>",
    "title-breakout": "</title><script>alert(1)</script>",
    "unclosed-img": "<img src=x onerror=alert(1)//",
    "nested-unclosed": "<a><b><i><u><img src=x onerror=alert(1)",
    "comment-breakout": "<!--><img src=x onerror=alert(1)>-->",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "attribute-breakout": "\"' onmouseover=alert(1) x='",
    "emphasis-wrapped-html": "*<img src=x onerror=alert(1)>*",
    "link-text-html": "[<img src=x onerror=alert(1)>](https://example.org)",
    "link-title-quotes": '[x](https://example.org "a\\" onclick=\\"alert(1)")',
    "autolink-html": "<https://example.org/<script>alert(1)</script>>",
    "code-span-then-html": "`x` <script>alert(1)</script> `y`",
    "entity-encoded-tag": "&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    "list-then-html": "- a\n- <iframe srcdoc='<script>alert(1)</script>'>",
    "quote-then-html": "> <details open ontoggle=alert(1)>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": '<base href="javascript:alert(1)//">',
    "style-expression": '<p style="x:expression(alert(1))">x</p>',
    "line-separator-in-tag": "<scr\u2028ipt>alert(1)</scr\u2028ipt>",
}

# URL schemes that run code or smuggle documents, in every spelling we know of.
DANGEROUS_URLS = {
    "javascript": "javascript:alert(1)",
    "mixed-case": "JaVaScRiPt:alert(1)",
    "leading-space": " javascript:alert(1)",
    "leading-nbsp": "\u00a0javascript:alert(1)",
    "tab-inside": "java\tscript:alert(1)",
    "newline-inside": "java\nscript:alert(1)",
    "cr-inside": "java\rscript:alert(1)",
    "entity-tab": "java&#x09;script:alert(1)",
    "entity-newline": "java&#10;script:alert(1)",
    "entity-decimal": "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
    "entity-hex": "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "entity-named-colon": "javascript&colon;alert(1)",
    "entity-no-semicolon": "&#106avascript:alert(1)",
    "percent-encoded": "%6A%61%76%61%73%63%72%69%70%74%3Aalert(1)",
    "percent-colon": "javascript%3Aalert(1)",
    "double-percent": "javascript%253Aalert(1)",
    "fullwidth-colon": "javascript\uff1aalert(1)",
    "vbscript": "vbscript:msgbox(1)",
    "data-html": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data-svg": "data:image/svg+xml,%3Csvg%20onload=alert(1)%3E",
    "mixed-case-data": "DaTa:text/html,<script>alert(1)</script>",
    "protocol-relative": "//evil.example/x",
    "file": "file:///etc/passwd",
    "backslashes": "\\\\evil.example\\x",
}

# URLs that browsers and other parsers read as different hosts, each naming the hostile suite's
# site origin (https://news.example) to one of them: a backslash read as a slash, credentials, a
# tab or line break that browsers drop, no '//' after the scheme.
MISLEADING_URLS = {
    "backslash-then-at": "https://evil.example\\@news.example/x",
    "backslashes-for-slashes": "https:\\\\news.example/x",
    "credentials": "https://user:password@news.example/x",
    "host-as-user": "https://evil.example@news.example/x",
    "tab-in-host": "https://news.example\t/x",
    "newline-in-host": "https://news.\nexample/x",
    "no-slashes": "https:news.example/x",
}

# Characters that must never be stored: control characters, NUL, unassigned and
# private code points (lone surrogates cannot be JSON-escaped: see RAW_BODIES).
CONTROL = {
    "nul": "a\x00b",
    "soh": "a\x01b",
    "escape": "a\x1b[31mb",
    "delete": "a\x7fb",
    "next-line": "a\x85b",
    "noncharacter": "a\uffffb",
    "private-use": "a\ue000b",
    "unassigned": "a\U000e0fffb",
}

# Text that disguises or hides itself: refused in names readers see.
INVISIBLE = {
    "right-to-left-override": "admin\u202etxt.exe",
    "left-to-right-isolate": "ad\u2066min",
    "zero-width-space": "ad\u200bmin",
    "zero-width-joiner": "ad\u200dmin",
    "zero-width-non-joiner": "ad\u200cmin",
    "byte-order-mark": "\ufeffadmin",
    "soft-hyphen": "ad\u00admin",
    "word-joiner": "ad\u2060min",
    "invisible-separator": "ad\u2063min",
}

# Valid text for PostgreSQL (parameters are bound, never spliced): stored verbatim.
SQL = {
    "or-true": "' OR 1=1 --",
    "drop-table": '"; DROP TABLE comments; --',
    "union": "x' UNION SELECT password_hash FROM users --",
    "backslash": "\\",
    "backslash-quote": "\\'",
    "dollar-param": "$1",
    "dollar-quote": "$$ SELECT 1 $$",
    "stacked": "1; SELECT pg_sleep(10)",
    "like-wildcards": "%_%",
    "escape-string": "E'\\x00'",
    "comment-open": "/* unterminated",
}

# Article keys and site slugs that try to climb out of where they belong.
TRAVERSAL = {
    "dot-dot-slash": "../../etc/passwd",
    "percent-encoded": "%2e%2e%2f%2e%2e%2fetc",
    "double-encoded": "%252e%252e%252f",
    "backslashes": "..\\..\\windows",
    "overlong-utf8": "%c0%ae%c0%ae/",
    "unicode-dots": "\u2025/\uff0e\uff0e/\u2024\u2024/",
    "dot-dot": "..",
    "absolute": "/etc/passwd",
    "null-suffix-encoded": "index%00.html",
}

# Site slugs as path segments (percent-encoded as they would come on the wire).
SITE_SEGMENTS = {
    "encoded-dot-dot-slash": "%2e%2e%2fother",
    "dot-dot-encoded-slash": "..%2fother",
    "dot-dot-backslash": "..%5cother",
    "encoded-dot-dot": "%2e%2e",
    "double-encoded": "%252e%252e%252f",
    "overlong-utf8": "%c0%ae%c0%ae",
    "fullwidth-dots": "%ef%bc%8e%ef%bc%8e",
    "nul": "site%00",
    "upper-case": "SITE",
    "leading-dash": "-site",
    "too-long": "s" * 64,
    "sql": "x'%20OR%201=1%20--",
    "semicolon": "site;drop",
    "unicode": "%c3%a9t%c3%a9",
}

# Bodies that are not a JSON object of the right shape, sent as application/json.
RAW_BODIES = {
    "array": b"[]",
    "null": b"null",
    "string": b'"body"',
    "number": b"42",
    "true": b"true",
    "empty-object": b"{}",
    "truncated": b'{"body": "x',
    "trailing-garbage": b'{"body": "x"} trailing',
    "two-documents": b"{}{}",
    "single-quotes": b"{'body': 'x'}",
    "nan": b'{"body": NaN}',
    "byte-order-mark": b"\xef\xbb\xbf{}",
    "utf16": '{"body": "x"}'.encode("utf-16"),
    "invalid-utf8": b'{"body": "\xff\xfe"}',
    "utf8-encoded-surrogate": b'{"body": "\xed\xa0\x80"}',
    "overlong-utf8": b'{"body": "\xc0\xae"}',
    "escaped-lone-surrogate": b'{"body": "\\ud800"}',
    "escaped-lone-low-surrogate": b'{"body": "x\\udc00y"}',
    "deep-nesting": b"[" * 50_000 + b"]" * 50_000,
    "huge-exponent": b'{"body": 1e999999}',
    "comment": b'{"body": "x" /* c */}',
    "empty": b" ",
}

# Content types a cross-site form or a "simple" fetch can send without a preflight (CSRF),
# and others that are not JSON.
NOT_JSON = {
    "text-plain": ("text/plain", b'{"body": "csrf"}'),
    "text-plain-charset": ("text/plain; charset=utf-8", b'{"body": "csrf"}'),
    "form-urlencoded": ("application/x-www-form-urlencoded", b"body=csrf"),
    "multipart": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="body"\r\n\r\ncsrf\r\n--x--\r\n',
    ),
    "xml": ("application/xml", b"<body>csrf</body>"),
    "json-lookalike": ("application/jsonx", b'{"body": "csrf"}'),
    "json-suffix": ("application/vnd.api+json", b'{"body": "csrf"}'),
    "no-content-type": (None, b'{"body": "csrf"}'),
}

# Numbers that are not what an id, a limit or a count can be. (Numeric strings are
# missing on purpose: Litestar converts JSON bodies in lax mode, so "1" is read as 1.)
BAD_INTEGERS = {
    "negative": -1,
    "zero": 0,
    "int64-overflow": 2**63,
    "uint64-overflow": 2**64,
    "huge": 10**30,
    "float": 1.5,
    "float-huge": 1e300,
    "word": "one",
    "bool": True,
    "array": [1],
    "object": {"$gt": 0},
}

# Path segments where an integer id belongs.
BAD_ID_SEGMENTS = {
    "negative": "-1",
    "zero": "0",
    "int64-overflow": str(2**63),
    "huge": "9" * 40,
    "float": "1.5",
    "exponent": "1e3",
    "hex": "0x1",
    "word": "abc",
    "sql": "1%20OR%201=1",
    "encoded-dot-dot": "%2e%2e",
    "nul": "1%00",
}

# Query values where a small integer belongs.
BAD_LIMITS = {
    "negative": "-1",
    "zero": "0",
    "too-big": "101",
    "int64-overflow": str(2**63),
    "huge": "9" * 40,
    "float": "1.5",
    "word": "ten",
    "hex": "0x10",
    "empty": "",
    "sql": "1 OR 1=1",
    "unicode-digit": "\u0661",
}

# Links and a blocked word ("casino") dressed so that their Markdown source does not show them,
# though a reader sees them: character references, invisible characters, compatibility forms,
# percent-escapes in an address. Each with the signal it must trip on a site that allows one link.
SIGNAL_DODGES = {
    "links-decimal-reference": ("https&#58;//a.example et https&#58;//b.example", "too_many_links"),
    "links-named-reference": ("https&colon;//a.example et https&colon;//b.example", "too_many_links"),
    "links-in-destination": ("[un](https&#58;//a.example) [deux](https&#58;//b.ex)", "too_many_links"),
    "links-zero-width-space": ("https\u200b://a.example et https\u200b://b.example", "too_many_links"),
    "links-soft-hyphen": ("ww\u00adw.a.example et ww\u00adw.b.example", "too_many_links"),
    "links-fullwidth": ("ｈｔｔｐｓ://a.example et ｗｗｗ．b.example", "too_many_links"),
    "word-decimal-reference": ("Jouez au c&#97;sino", "blocked_word"),
    "word-hex-reference": ("Jouez au &#x63;asino", "blocked_word"),
    "word-zero-width-space": ("Jouez au ca\u200bsino", "blocked_word"),
    "word-soft-hyphen": ("Jouez au ca\u00adsino", "blocked_word"),
    "word-word-joiner": ("Jouez au casi\u2060no", "blocked_word"),
    "word-variation-selector": ("Jouez au casi\ufe0fno", "blocked_word"),
    "word-tag-character": ("Jouez au cas\U000e0020ino", "blocked_word"),
    "word-fullwidth": ("Jouez au ｃａｓｉｎｏ", "blocked_word"),
    "word-percent-escaped-address": ("[Jouez ici](https://c%61sino.example)", "blocked_word"),
}
