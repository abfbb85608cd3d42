// The cockpit's live updates: the stream of /api/cockpit/stream, signed in
// by the session cookie; EventSource reconnects and resumes by itself.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var events = document.getElementById("live-events");

  function field(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
  }

  function list(id, items, text) {
    var ul = document.getElementById(id);
    if (!ul) { return; }
    ul.textContent = "";
    if (items.length === 0) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "Noch keine";
      ul.appendChild(empty);
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = text(item);
      ul.appendChild(li);
    });
  }

  function showWidget(w) {
    document.querySelectorAll("[data-field]").forEach(function (el) {
      el.textContent = field(w, el.getAttribute("data-field"));
    });
    document.querySelectorAll("[data-bar]").forEach(function (el) {
      var v = Math.max(0, Math.min(100, Math.round(field(w, el.getAttribute("data-bar")))));
      el.setAttribute("height", String(v));
      el.setAttribute("y", String(110 - v));
    });
    list("recent-followups", w.recentFollowUps, function (f) { return f.followUpType + " · " + f.companyName + " · " + f.result; });
    list("recent-activities", w.recentActivities, function (a) { return a.type + " · " + a.companyName; });
  }

  var source = new EventSource("/api/cockpit/stream");
  source.onopen = function () { status.textContent = "Verbunden"; };
  source.onerror = function () { status.textContent = "Verbindung unterbrochen, verbinde neu …"; };
  source.addEventListener("lead-widget", function (e) { showWidget(JSON.parse(e.data)); });
  source.addEventListener("lead-event", function (e) {
    var ev = JSON.parse(e.data);
    var li = document.createElement("li");
    li.textContent = ev.type + " · " + (ev.data.companyName || ev.data.leadId || "");
    events.insertBefore(li, events.firstChild);
    while (events.children.length > 20) { events.removeChild(events.lastChild); }
  });
})();
