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
  });
})();
