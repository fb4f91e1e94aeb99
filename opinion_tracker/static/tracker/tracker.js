/* Live deadline clocks. Each running clock carries its deadline (data-due, Unix seconds); the page
 * carries the server's time when it was made (data-server-now), so the clocks count from the
 * server's time, not from a phone's clock that may be wrong. The texts come from the page, in its
 * language, with the same patterns the server used (incidents/web/clocks.py); a clock inside an
 * element with data-left and data-overdue words its time with those instead (the deadline a
 * statement races: "距首次权威发布时限还剩 …", statements/racing.py). */
(function () {
  "use strict";
  var source = document.getElementById("countdown-patterns");
  if (!source) return;
  var patterns = JSON.parse(source.textContent);
  var skew = Number(document.body.dataset.serverNow) * 1000 - Date.now();
  var AMBER_WITHIN = 3600;

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (_match, name) { return String(values[name]); });
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds >= 3600) {
      return fill(patterns.hours, { hours: Math.floor(seconds / 3600), minutes: Math.floor((seconds % 3600) / 60) });
    }
    return fill(patterns.minutes, { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
  }

  function tick() {
    var now = (Date.now() + skew) / 1000;
    document.querySelectorAll(".clock[data-due]").forEach(function (clock) {
      var left = Number(clock.dataset.due) - now;
      var words = clock.closest("[data-left][data-overdue]");
      words = words ? words.dataset : patterns;
      var tone = left <= 0 ? "red" : left <= AMBER_WITHIN ? "amber" : "green";
      var text = left <= 0 ? fill(words.overdue, { duration: duration(-left) })
                           : fill(words.left, { duration: duration(left) });
      if (clock.textContent !== text) clock.textContent = text;
      clock.className = "clock " + tone;
    });
  }

  tick();
  setInterval(tick, 1000);
})();

/* Pages that update themselves: the duty board and 我的督办. A list carrying data-live-feed asks that
 * small JSON endpoint every data-interval seconds (the enforcement interval) for what was made after
 * data-after (an id); the rows come rendered by the server with the page's own row template, so they
 * are only inserted, at the top, marked new. Short polling rather than a long-lived connection: it
 * passes every proxy and suits the server's synchronous workers (incidents/web/dashboard.py).
 * On 我的督办 the answer also carries the unread count, shown on the page and in the top bar's badge,
 * and each new entry becomes a browser notification once the person allowed them with the button. */
(function () {
  "use strict";
  var list = document.querySelector("[data-live-feed]");
  if (!list || !window.fetch) return;
  var after = list.dataset.after || "0";
  var interval = Math.max(0.2, Number(list.dataset.interval) || 10) * 1000;
  var feed = list.dataset.liveFeed;
  var mayInsert = list.dataset.insert !== "0";
  var newLabel = list.dataset.newLabel || "";

  function element(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function insert(item, key) {
    if (!mayInsert || list.querySelector("[" + key + '="' + item.id + '"]')) return false;
    var row = element(item.html);
    if (!row) return false;
    row.classList.add("new");
    if (newLabel) {
      var mark = document.createElement("span");
      mark.className = "new-mark";
      mark.textContent = newLabel;
      var head = row.querySelector(".incident-head") || row;
      head.insertBefore(mark, head.firstChild);
    }
    list.insertBefore(row, list.firstElementChild);
    list.hidden = false;
    var empty = document.querySelector("[data-live-empty]");
    if (empty) empty.remove();
    return true;
  }

  function showCount(count) {
    document.querySelectorAll(".unread-escalations").forEach(function (node) { node.textContent = String(count); });
    var link = list.dataset.badgeFor && document.querySelector('.bar nav a[href="' + list.dataset.badgeFor + '"]');
    if (!link) return;
    var badge = link.querySelector(".badge");
    if (!count) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      if (list.dataset.badgeTitle) badge.title = list.dataset.badgeTitle;
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(count);
  }

  function notify(entry) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var shown = new Notification(entry.title, { body: entry.body, tag: "escalation-" + entry.id });
      shown.onclick = function () { window.focus(); shown.close(); };
    } catch (_error) {
      /* Some mobile browsers only notify through a service worker: the page and the badge still say it. */
    }
  }

  function take(answer) {
    (answer.rows || []).forEach(function (row) { insert(row, "data-incident"); });
    (answer.entries || []).forEach(function (entry) {
      insert(entry, "data-entry");
      notify(entry);
    });
    if (typeof answer.unread === "number") showCount(answer.unread);
    if (answer.after !== undefined) after = String(answer.after);
  }

  function poll() {
    var url = feed + (feed.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after);
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        // Signed out (a redirect to the sign-in page) or no longer allowed: stop asking.
        if (response.redirected || response.status === 401 || response.status === 403) return "stop";
        return response.ok ? response.json().then(take) : null;
      })
      .catch(function () { return null; })  // offline, a restart: try again at the next interval
      .then(function (outcome) { if (outcome !== "stop") setTimeout(poll, interval); });
  }

  setTimeout(poll, interval);

  // The browser notifications: asked for only when the person clicks the button.
  var notifier = document.querySelector(".live-notify");
  if (!notifier || !("Notification" in window)) return;
  var button = notifier.querySelector(".notify-button");
  var state = notifier.querySelector(".notify-state");
  function showPermission() {
    var permission = Notification.permission;
    button.hidden = permission !== "default";
    state.textContent = permission === "granted" ? notifier.dataset.notifyOn
                      : permission === "denied" ? notifier.dataset.notifyBlocked : "";
  }
  button.addEventListener("click", function () {
    var asked = Notification.requestPermission(showPermission);
    if (asked && asked.then) asked.then(showPermission);
  });
  showPermission();
})();
