// The OpenID provider the tests sign in with: the certified `oidc-provider` package, on loopback,
// offline. Its login page is a one-field form (any name signs in: the tests and Chromium fill it),
// consent is given at once. Started by tests/openid.py with, in the environment:
//   PORT, ISSUER, CLIENT (JSON: client_id, client_secret, redirect_uris),
//   KEYS (a JSON Web Key Set with private keys: the first signs, all are published; the tests
//   restart the provider with another set to rotate its keys),
//   ACCOUNTS (JSON: login -> claims that replace the defaults, e.g. {"email_verified": false}).
import http from "node:http";
import Provider from "oidc-provider";

const env = process.env;
const client = JSON.parse(env.CLIENT);
const accounts = JSON.parse(env.ACCOUNTS || "{}");

function claimsOf(login) {
  return {
    sub: login,
    email: `${login}@example.test`,
    email_verified: true,
    preferred_username: login,
    name: login,
    ...(accounts[login] || {}),
  };
}

const provider = new Provider(env.ISSUER, {
  clients: [
    {
      ...client,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: JSON.parse(env.KEYS),
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "name"] },
  // The ID token carries the claims, so the relying party needs no userinfo call.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ["a test provider's cookie key"] },
});

const FORM = (uid) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main><h1>Test provider</h1><form method="post" action="/interaction/${uid}/login">
<label for="login">Name</label> <input id="login" name="login" autocomplete="username" required>
<button type="submit">Sign in</button></form></main></body></html>`;

async function body(req) {
  let data = "";
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

async function consent(details) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  return { consent: { grantId: await grant.save() } };
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === "POST" && req.url.endsWith("/login")) {
    const login = (await body(req)).get("login");
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === "consent") {
    return provider.interactionFinished(req, res, await consent(details), { mergeWithLastSubmission: true });
  }
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(FORM(details.uid));
}

const callback = provider.callback();
http
  .createServer((req, res) => {
    if (!req.url.startsWith("/interaction/")) return callback(req, res);
    interaction(req, res).catch((err) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(String(err));
    });
  })
  .listen(Number(env.PORT), "127.0.0.1", () => console.log("listening"));
