// Start Swagger UI on the description the page names. A file, not an inline script, so
// the page's Content-Security-Policy can allow scripts from this origin alone.
"use strict";

(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.descriptionUrl,
    domNode: root,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    // No call to validator.swagger.io: the page works offline and tells no one about it.
    validatorUrl: null,
    // "Try it out" with the login page's session: a write must carry the page's CSRF token,
    // as a script of this site would (with a Token in Authorize, none is needed).
    requestInterceptor: function (request) {
      var token = root.dataset.csrfToken;
      if (token && !/^(GET|HEAD|OPTIONS)$/i.test(request.method || "GET")) {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    },
  });
})();
