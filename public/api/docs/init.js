// Starts Swagger UI on the API reference page (/api/docs, src/server/rest/docs.rs) with this
// server's own OpenAPI document. A file rather than an inline script: the page's
// Content-Security-Policy runs scripts from this origin only. Loaded with `defer`, after
// swagger-ui-bundle.js, so `SwaggerUIBundle` is defined and the document parsed.
"use strict";

window.ui = window.SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  // The page without the standalone preset's top bar (a box that loads any URL).
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // Each operation gets an address (/api/docs#/tasks/list).
  deepLinking: true,
  // No badge image from validator.swagger.io: the page loads nothing from other origins.
  validatorUrl: null,
  // This server's document only, whatever the query string says (Swagger UI's default, stated).
  queryConfigEnabled: false,
});
