// Ward pages (and the pharmacy's thaw page): keyboard-wedge scan fields, the use-by countdown and the infusion's
// elapsed time.
// Loaded as a file (the Content-Security-Policy forbids inline script); every page works without it.
(function () {
  "use strict";

  // ---- scan forms ----------------------------------------------------------------------------------------
  // A keyboard-wedge scanner types the code and then Enter. In a form with several scan fields that Enter must
  // not submit a half-filled form: it moves on to the next empty scan field, and submits only when all are
  // filled. In a form with one scan field, Enter moves on to the next field.

  function filled(input) {
    return input.value.trim() !== "";
  }

  function focusField(input) {
    input.focus();
    if (typeof input.select === "function") {
      input.select();
    }
  }

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function nextField(form, input) {
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA") &&
        el.type !== "hidden" && !el.disabled;
    });
    var index = fields.indexOf(input);
    return index >= 0 && index + 1 < fields.length ? fields[index + 1] : null;
  }

  function setUpScanForm(form) {
    var scans = Array.prototype.slice.call(form.querySelectorAll("input[data-scan]"));
    var hint = form.querySelector("[data-scan-hint]");

    function firstEmpty() {
      for (var i = 0; i < scans.length; i += 1) {
        if (!filled(scans[i])) {
          return scans[i];
        }
      }
      return null;
    }

    scans.forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") {
          return;
        }
        event.preventDefault();
        if (!filled(input)) {
          return; // a stray Enter: stay here
        }
        var empty = firstEmpty();
        if (empty) {
          focusField(empty);
          if (hint) {
            hint.hidden = false;
          }
        } else if (scans.length > 1) {
          submit(form);
        } else {
          var next = nextField(form, input);
          if (next) {
            focusField(next);
          }
        }
      });
    });

    form.addEventListener("submit", function (event) {
      var empty = firstEmpty();
      if (empty) {
        event.preventDefault();
        focusField(empty);
      }
    });
  }

  // ---- clocks --------------------------------------------------------------------------------------------

  function clock(seconds) {
    seconds = Math.max(Math.floor(seconds), 0);
    var h = Math.floor(seconds / 3600);
    var m = Math.floor(seconds / 60) % 60;
    var s = seconds % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  var LEVELS = ["ok", "amber", "red", "expired"];
  var AMBER = 30 * 60;
  var RED = 10 * 60;

  function tickCountdown(el) {
    var left = (Date.parse(el.getAttribute("data-until")) - Date.now()) / 1000;
    var level = left <= 0 ? "expired" : left < RED ? "red" : left < AMBER ? "amber" : "ok";
    var text = level === "expired"
      ? el.getAttribute("data-expired")
      : el.getAttribute("data-left").replace("{time}", clock(left));
    LEVELS.forEach(function (name) {
      el.classList.toggle("countdown-" + name, name === level);
    });
    el.querySelector(".countdown-text").textContent = text; // the icon follows the level's class (style.css)
  }

  function tickElapsed(el) {
    var since = Date.parse(el.getAttribute("data-since"));
    el.querySelector(".elapsed-text").textContent = clock((Date.now() - since) / 1000);
  }

  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(tickCountdown);
    document.querySelectorAll("[data-elapsed]").forEach(tickElapsed);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-scan-form]").forEach(setUpScanForm);
    if (document.querySelector("[data-countdown], [data-elapsed]")) {
      tick();
      window.setInterval(tick, 1000);
    }
  });
})();
