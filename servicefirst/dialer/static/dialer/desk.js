// The agent desktop and the contact-centre board:
// - timers: every [data-timer data-elapsed="seconds"] counts up from when it was rendered
//   (no dependence on the browser's clock being right);
// - the desk does not redraw under the agent's fingers: while a field outside the preserved
//   call form has the focus, a refresh waits until the field is left;
// - one-key dialing: D dials the previewed customer, S skips, N takes the next one (not while
//   typing in a field).
(function () {
  "use strict";
  function fmt(total) {
    total = Math.max(0, Math.floor(total));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  function stamp(root) {
    (root || document).querySelectorAll("[data-timer]").forEach(function (el) {
      if (!el.dataset.base) {
        el.dataset.base = String(Date.now() - 1000 * Number(el.dataset.elapsed || 0));
      }
    });
  }
  function tick() {
    document.querySelectorAll("[data-timer]").forEach(function (el) {
      if (!el.dataset.base) return;
      el.textContent = fmt((Date.now() - Number(el.dataset.base)) / 1000);
    });
  }
  stamp(document);
  document.body.addEventListener("htmx:afterSettle", function () { stamp(document); });
  setInterval(tick, 1000);

  function typing(el) {
    return el && el.matches && el.matches("input, select, textarea");
  }
  window.deskIdle = function (el) {
    var active = document.activeElement;
    var busy = typing(active) && el.contains(active) && !active.closest("[hx-preserve]");
    if (busy) el.dataset.stale = "1";
    return !busy;
  };
  document.body.addEventListener("focusout", function () {
    setTimeout(function () {
      var desk = document.getElementById("agent-desk");
      if (desk && desk.dataset.stale && window.deskIdle(desk)) {
        delete desk.dataset.stale;
        document.body.dispatchEvent(new CustomEvent("dialer-changed", { detail: {} }));
      }
    }, 0);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (typing(event.target) || (event.target && event.target.isContentEditable)) return;
    var key = (event.key || "").toLowerCase();
    var button = document.querySelector('#agent-desk button[data-key="' + key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });
})();
