// Ward and pharmacy pages: keyboard-wedge scan fields, the countdowns (the ward's use-by; the pharmacy's thaw
// window and use-by) and the infusion's elapsed time.
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

  function firstMissingRequired(form) {
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return el.required && !el.disabled && el.type !== "hidden";
    });
    for (var i = 0; i < fields.length; i += 1) {
      var el = fields[i];
      if (el.type === "radio") {
        if (!form.querySelector('input[type="radio"][name="' + el.name + '"]:checked')) {
          return el;
        }
      } else if (!filled(el)) {
        return el;
      }
    }
    return null;
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

    // Enter in any other field of the form (the location, the temperature) moves on to the next required field
    // still empty instead of submitting: a required field is never skipped by the Enter key.
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || target.tagName !== "INPUT" || target.hasAttribute("data-scan") ||
          target.type === "submit" || target.type === "button") {
        return;
      }
      var missing = firstMissingRequired(form);
      if (missing) {
        event.preventDefault();
        focusField(missing);
      }
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

  // A countdown may carry its own thresholds (seconds left), as the server rendered it; the ward's by default.
  function threshold(el, name, fallback) {
    var value = parseInt(el.getAttribute(name), 10);
    return isNaN(value) ? fallback : value;
  }

  function tickCountdown(el) {
    var left = (Date.parse(el.getAttribute("data-until")) - Date.now()) / 1000;
    var red = threshold(el, "data-red", RED);
    var amber = threshold(el, "data-amber", AMBER);
    var level = left <= 0 ? "expired" : left < red ? "red" : left < amber ? "amber" : "ok";
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
