// "Scan with camera" beside scan fields: a live picture from the tablet's back camera; the code it reads goes
// into the field and then acts as a keyboard-wedge scanner's Enter does (static/js/ward.js handles that Enter).
// The browser reads the code itself where it has BarcodeDetector; elsewhere (desktop Linux, Firefox, many
// tablets) a frame goes to the server's /scan/decode every 400 ms. Browsers offer the camera on https and
// localhost only: without navigator.mediaDevices the buttons stay hidden and the fields work as before.
(function () {
  "use strict";

  var INTERVAL_MS = 400;
  var MAX_FRAME_WIDTH = 1280; // a label at arm's length still reads, and the JPEG stays far under the upload limit
  var FORMATS = ["qr_code", "data_matrix", "code_128"]; // what the server reads too (tracker/scanning/decode.py)

  function hasCamera() {
    return !!(navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === "function");
  }

  // The browser's own reader, or null where it has none for our formats.
  function browserReader() {
    if (!("BarcodeDetector" in window)) {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
      var formats = FORMATS.filter(function (format) {
        return supported.indexOf(format) >= 0;
      });
      if (!formats.length) {
        return null;
      }
      var detector = new window.BarcodeDetector({ formats: formats });
      return function (video) {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }).catch(function () {
      return null;
    });
  }

  function serverReader(form, url) {
    var canvas = document.createElement("canvas");
    var token = form.querySelector("input[name=csrf_token]");
    return function (video) {
      var scale = Math.min(1, MAX_FRAME_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(resolve, "image/jpeg", 0.85);
      }).then(function (frame) {
        if (!frame) {
          return null;
        }
        var body = new FormData();
        body.append("image", frame, "frame.jpg");
        return fetch(url, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
          redirect: "error" // signed out: the redirect to the sign-in page is a failure here
        }).then(function (response) {
          if (!response.ok) {
            throw new Error("the server answered " + response.status);
          }
          return response.json();
        }).then(function (answer) {
          return answer.text || null;
        });
      });
    };
  }

  function setUpCamera(form, reader) {
    var preview = form.querySelector("[data-camera-preview]");
    var buttons = form.querySelectorAll("button[data-camera-for]");
    if (!preview || !buttons.length) {
      return;
    }
    var video = preview.querySelector("video");
    var status = preview.querySelector("[data-camera-status]");
    var running = null; // {field, stream, timer, stopped} of the camera that is on

    function say(message) {
      status.textContent = preview.getAttribute("data-msg-" + message);
    }

    function release(session) {
      session.stopped = true;
      window.clearTimeout(session.timer);
      if (session.stream) {
        session.stream.getTracks().forEach(function (track) {
          track.stop();
        });
      }
      video.srcObject = null;
    }

    function close() {
      if (running) {
        release(running);
        running = null;
      }
      preview.hidden = true;
    }

    function found(field, text) {
      close();
      field.value = text;
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
      // The Enter a keyboard-wedge scanner ends its code with: ward.js moves to the next field or submits.
      field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    }

    function fail(session, message) {
      if (!session.stopped) {
        release(session);
        say(message); // the preview stays open with the reason until Cancel
      }
    }

    function look(session) {
      if (session.stopped) {
        return;
      }
      var ready = video.readyState >= 2 && video.videoWidth > 0;
      (ready ? session.read(video) : Promise.resolve(null)).then(function (text) {
        if (session.stopped) {
          return;
        }
        if (text) {
          found(session.field, text);
        } else {
          session.timer = window.setTimeout(function () {
            look(session);
          }, INTERVAL_MS);
        }
      }, function () {
        fail(session, "failed");
      });
    }

    function open(field) {
      close();
      var session = { field: field, stopped: false };
      running = session;
      preview.hidden = false;
      say("looking");
      Promise.all([
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }),
        reader
      ]).then(function (results) {
        session.stream = results[0];
        if (session.stopped) {
          release(session); // cancelled while the browser was asking for the camera
          return;
        }
        session.read = results[1] || serverReader(form, preview.getAttribute("data-decode-url"));
        video.srcObject = session.stream;
        var playing = video.play();
        if (playing && typeof playing.catch === "function") {
          playing.catch(function () {}); // muted video may play; the frames are read either way
        }
        look(session);
      }, function () {
        fail(session, "no-camera");
      });
    }

    Array.prototype.forEach.call(buttons, function (button) {
      var field = document.getElementById(button.getAttribute("data-camera-for"));
      if (!field) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        open(field);
      });
    });
    preview.querySelector("[data-camera-cancel]").addEventListener("click", function () {
      var field = running && running.field;
      close();
      if (field) {
        field.focus();
      }
    });
    window.addEventListener("pagehide", close); // never leave the camera on behind another page
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!hasCamera()) {
      return;
    }
    var reader = browserReader();
    document.querySelectorAll("form[data-scan-form]").forEach(function (form) {
      setUpCamera(form, reader);
    });
  });
})();
