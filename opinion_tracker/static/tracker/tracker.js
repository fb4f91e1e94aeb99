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
