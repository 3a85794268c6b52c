/* ServiceFirst: small behaviour on top of htmx. */
(function () {
  "use strict";
  // A refused or failed htmx request must not fail silently: show its message at the top.
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr && xhr.status < 500 && xhr.responseText && xhr.responseText.length < 300)
      ? xhr.responseText
      : document.body.dataset.errorText || "Error";
    var box = document.createElement("div");
    box.className = "alert alert-danger alert-dismissible";
    box.setAttribute("role", "alert");
    box.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    box.appendChild(close);
    var main = document.getElementById("main");
    if (main) { main.prepend(box); }
  });
})();
