// The cockpit's live updates: the stream of /api/cockpit/stream, signed in
// by the session cookie; EventSource reconnects and resumes by itself.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var words = document.body.dataset; // the page's language
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
      empty.textContent = words.none;
      ul.appendChild(empty);
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = text(item);
      ul.appendChild(li);
    });
  }

  // chart draws the 7-day bars as the page's template does.
  function chart(days) {
    var svg = document.getElementById("trend");
    if (!svg || !days) { return; }
    var ns = "http://www.w3.org/2000/svg";
    svg.querySelectorAll("g").forEach(function (g) { g.remove(); });
    var top = Math.max(1, Math.max.apply(null, days.map(function (d) { return d.sent; })));
    days.forEach(function (d, i) {
      var g = document.createElementNS(ns, "g");
      var x = 10 + i * 36;
      [["sent", d.sent], ["converted", d.converted]].forEach(function (b) {
        var h = Math.round(b[1] * 100 / top);
        var r = document.createElementNS(ns, "rect");
        r.setAttribute("class", b[0]);
        r.setAttribute("x", String(x));
        r.setAttribute("y", String(110 - h));
        r.setAttribute("width", "26");
        r.setAttribute("height", String(h));
        g.appendChild(r);
      });
      var t = document.createElementNS(ns, "text");
      t.setAttribute("x", String(x));
      t.setAttribute("y", "125");
      t.textContent = d.date.slice(8) + "." + d.date.slice(5, 7) + ".";
      g.appendChild(t);
      svg.appendChild(g);
    });
  }

  function showWidget(w) {
    document.querySelectorAll("[data-field]").forEach(function (el) {
      el.textContent = field(w, el.getAttribute("data-field"));
    });
    chart(w.trendDays);
    list("recent-followups", w.recentFollowUps, function (f) { return f.followUpType + " · " + f.companyName + " · " + f.result; });
    list("recent-activities", w.recentActivities, function (a) { return a.type + " · " + a.companyName; });
  }

  var source = new EventSource("/api/cockpit/stream");
  source.onopen = function () { status.textContent = words.connected; };
  source.onerror = function () { status.textContent = words.reconnecting; };
  source.addEventListener("lead-widget", function (e) { showWidget(JSON.parse(e.data)); });
  source.addEventListener("lead-event", function (e) {
    var ev = JSON.parse(e.data);
    var li = document.createElement("li");
    li.textContent = ev.type + " · " + (ev.data.companyName || ev.data.leadId || "");
    events.insertBefore(li, events.firstChild);
    while (events.children.length > 20) { events.removeChild(events.lastChild); }
  });
})();
