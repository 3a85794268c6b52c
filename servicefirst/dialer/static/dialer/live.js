// Live contact-centre pages: <body data-dialer-socket="/ws/contact/agent/"> (or the board's).
// "changed" messages fire `dialer-changed` on <body>; fragments refresh themselves with
// hx-trigger="dialer-changed from:body" (and poll every 30 s in case the socket is down).
// Reconnects with back-off; shows the link state in any element with [data-live-status].
(function () {
  "use strict";
  var path = document.body.dataset.dialerSocket;
  if (!path) return;
  var delay = 1000;
  var opened = false;
  function status(ok) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.classList.toggle("text-success", ok);
      el.classList.toggle("text-danger", !ok);
      el.textContent = ok ? el.dataset.liveOn : el.dataset.liveOff;
    });
  }
  document.body.addEventListener("htmx:afterSettle", function () {
    status(document.body.dataset.dialerLive === "1");
  });
  // Pings are coalesced: one refresh at most every 300 ms, always after the latest ping (a
  // busy dialer sends many; none may be lost, and the page must not refresh for each).
  var pending = null;
  function changed() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      document.body.dispatchEvent(new CustomEvent("dialer-changed"));
    }, 300);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + path);
    ws.onopen = function () {
      delay = 1000;
      document.body.dataset.dialerLive = "1";
      status(true);
      if (opened) changed(); // back after a break: catch up on what was missed
      opened = true;
    };
    ws.onmessage = function (msg) {
      try { JSON.parse(msg.data); } catch (e) { return; }
      changed();
    };
    ws.onclose = function () {
      document.body.dataset.dialerLive = "";
      status(false);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
