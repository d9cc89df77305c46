// Polarity's portal works without this script; with it, moments read in the reader's time zone.
// Each <time data-local datetime="…Z"> is rendered in UTC by the server; its text is rewritten
// here in the browser's zone, and its title keeps the UTC value.
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "2-digit",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function localise(root) {
    var moments = root.querySelectorAll("time[data-local][datetime]");
    for (var i = 0; i < moments.length; i++) {
      var at = new Date(moments[i].getAttribute("datetime"));
      if (!isNaN(at.getTime())) {
        moments[i].textContent = format.format(at);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { localise(document); });
  } else {
    localise(document);
  }
})();
