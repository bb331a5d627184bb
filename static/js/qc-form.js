// The QC form of a lot: each row's verdict (pass / fail, or why the value is not a result) as it is typed.
// It follows the rules the server applies (tracker/lots/rules.py parse_qc_value, QcSpec.passes) from the spec
// in the input's data attributes; the server judges again on submit. The form works without it.
(function () {
  "use strict";

  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  var COMPARE = {
    "<": function (a, b) { return a < b; },
    "<=": function (a, b) { return a <= b; },
    ">": function (a, b) { return a > b; },
    ">=": function (a, b) { return a >= b; }
  };

  // {verdict: "pass" | "fail"} or {problem: words}, or null for an empty field (skipped on submit).
  function judge(input, words) {
    var text = input.value.trim();
    if (text === "") {
      return null;
    }
    var kind = input.getAttribute("data-qc-kind");
    if (kind === "number") {
      var unit = input.getAttribute("data-qc-unit") || "";
      if (unit && text.toLowerCase().slice(-unit.length) === unit.toLowerCase()) {
        text = text.slice(0, -unit.length).trim(); // "0.2 EU/mL" as typed from a report
      }
      if (!NUMBER.test(text)) {
        return { problem: words.notNumber };
      }
      var number = parseFloat(text);
      if (number < 0) {
        return { problem: words.negative };
      }
      if (unit === "%" && number > 100) {
        return { problem: words.percent };
      }
      var limit = parseFloat(input.getAttribute("data-qc-limit"));
      var compare = COMPARE[input.getAttribute("data-qc-operator")];
      return { verdict: compare && compare(number, limit) ? "pass" : "fail" };
    }
    var word = text.toLowerCase();
    if (word.length > parseInt(input.getAttribute("data-qc-max-length") || "80", 10)) {
      return { problem: words.tooLong };
    }
    var allowed = (input.getAttribute("data-qc-allowed") || "").split("|");
    return { verdict: allowed.indexOf(word) >= 0 ? "pass" : "fail" };
  }

  // The same badge the server draws (lots/_macros.html state_badge), without its icon.
  function show(output, judged, words) {
    output.textContent = "";
    if (!judged) {
      return;
    }
    var badge = document.createElement("span");
    if (judged.problem) {
      badge.className = "badge qc-fail qc-problem";
      badge.textContent = judged.problem;
    } else {
      badge.className = "badge qc-" + judged.verdict;
      badge.textContent = (judged.verdict === "pass" ? "✓ " : "✗ ") + words[judged.verdict];
    }
    output.appendChild(badge);
  }

  function setUp(form) {
    var words = {
      pass: form.getAttribute("data-pass"),
      fail: form.getAttribute("data-fail"),
      notNumber: form.getAttribute("data-not-number"),
      negative: form.getAttribute("data-negative"),
      percent: form.getAttribute("data-percent"),
      tooLong: form.getAttribute("data-too-long")
    };
    form.querySelectorAll("input[data-qc-kind]").forEach(function (input) {
      var output = document.getElementById(input.id + "-verdict");
      input.addEventListener("input", function () {
        show(output, judge(input, words), words);
      });
      // A value typed before this script ran, that the server has not judged yet.
      if (!output.hasChildNodes() && !input.hasAttribute("aria-invalid")) {
        show(output, judge(input, words), words);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-qc-form]").forEach(setUp);
  });
})();
