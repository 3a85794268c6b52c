// The dispatching board: keep a fragment still while the manager is typing in it, and tick
// the services a counter handles when it is chosen in the "counter services" form.
(function () {
  "use strict";
  window.boardIdle = function (el) {
    var active = document.activeElement;
    return !(active && el.contains(active) && active.matches("input, select, textarea"));
  };
  document.body.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("[data-services-for]")) return;
    var option = select.options[select.selectedIndex];
    var codes = ((option && option.dataset.services) || "").split(" ");
    var form = select.form;
    form.querySelectorAll("input[name=service_codes]").forEach(function (box) {
      box.checked = codes.indexOf(box.value) !== -1;
    });
  });
})();
