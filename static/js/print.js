// Printing: a link or GET form marked data-print loads its PDF into a hidden frame of this page and opens the
// browser's print dialog on it, so that a label or certificate goes to the printer without a new tab.
// Without this script (or where the browser cannot print a framed PDF) the link opens the PDF in a new tab.
(function () {
  "use strict";

  function printFrame() {
    var frame = document.getElementById("print-frame");
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "print-frame";
      frame.className = "print-frame";
      frame.title = "PDF";
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      document.body.appendChild(frame);
    }
    return frame;
  }

  function printPdf(url) {
    var frame = printFrame();
    frame.onload = function () {
      try {
        frame.contentWindow.focus();
        frame.contentWindow.print();
        frame.dataset.printed = url;
      } catch (error) {
        window.open(url, "_blank", "noopener");
      }
    };
    frame.src = url;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-print]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) {
      return; // a modified click keeps its meaning: open in a new tab or window
    }
    event.preventDefault();
    printPdf(link.href);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-print]");
    if (!form || form.method.toLowerCase() !== "get") {
      return;
    }
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form)).toString();
    printPdf(form.action + (query ? "?" + query : ""));
  });
})();
