// Live floor pages: <body data-floor-branch="ID">. Each "changed" message from the server
// fires the `floor-changed` event on <body>; fragments refresh themselves with
// hx-trigger="floor-changed from:body". Reconnects with back-off; shows the link state in
// any element with [data-live-status].
(function () {
  const branch = document.body.dataset.floorBranch;
  if (!branch) return;
  let delay = 1000;
  function status(ok) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.classList.toggle("text-success", ok);
      el.classList.toggle("text-danger", !ok);
      el.textContent = ok ? el.dataset.liveOn : el.dataset.liveOff;
    });
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/floor/" + branch + "/");
    ws.onopen = function () {
      delay = 1000;
      status(true);
      document.body.dataset.floorLive = "1";
    };
    ws.onmessage = function (msg) {
      let data = {};
      try { data = JSON.parse(msg.data); } catch (e) { return; }
      document.body.dispatchEvent(new CustomEvent("floor-changed", { detail: data }));
    };
    ws.onclose = function () {
      status(false);
      document.body.dataset.floorLive = "";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
