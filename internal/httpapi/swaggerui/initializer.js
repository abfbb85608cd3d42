// The API contract this service serves, with the bearer token a user
// pastes under "Authorize".
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/q/openapi",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true
  });
};
