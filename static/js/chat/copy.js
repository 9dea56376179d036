// 복사: 메시지 원문(서버에서 가져온다)과 코드 블록마다 붙이는 복사 단추.
(function () {
  "use strict";
  var D = window.Daehwa;

  // 메시지의 복사 단추는 그림과 글(.action-label)이다: 글만 바꾼다
  function copied(button) {
    var label = button.querySelector(".action-label") || button;
    var text = label.textContent;
    label.textContent = D.strings().copied;
    D.announce(D.strings().copied);
    window.setTimeout(function () { label.textContent = text; }, 2000);
  }

  function copyFailed() {
    D.announce(D.strings().copyFailed);
    D.hint(D.strings().copyFailed);
  }

  function copySource(button) {
    var text = fetch(button.dataset.source, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status);
      }
      return response.text();
    });
    var done;
    if (window.ClipboardItem && navigator.clipboard.write) {
      // 사용자의 누름 안에서 바로 쓰기를 시작해야 Safari도 허락한다: 내용은 약속으로 넘긴다
      done = navigator.clipboard.write([new ClipboardItem({
        "text/plain": text.then(function (value) { return new Blob([value], { type: "text/plain" }); })
      })]);
    } else {
      done = text.then(function (value) { return navigator.clipboard.writeText(value); });
    }
    done.then(function () { copied(button); }, copyFailed);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target && target.closest(".copy-message");
    if (button) {
      copySource(button);
      return;
    }
    button = target && target.closest(".code-copy");
    if (button) {
      var code = button.parentElement.querySelector("code");
      navigator.clipboard.writeText(code ? code.textContent : "").then(function () { copied(button); }, copyFailed);
    }
  });

  // 코드 블록마다 복사 단추 (언어 이름은 CSS가 data-lang으로 보인다). 아직 쓰는 코드 블록에는 끝난 뒤에
  function enhance() {
    var labels = D.strings();
    document.querySelectorAll(".markdown pre.code:not([data-copy]):not(.stream-growing pre)").forEach(function (pre) {
      pre.setAttribute("data-copy", "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "code-copy";
      button.textContent = labels.copyCode;
      button.setAttribute("aria-label", labels.copyCodeLabel + (pre.dataset.lang ? " (" + pre.dataset.lang + ")" : ""));
      pre.appendChild(button);
    });
  }

  document.addEventListener("DOMContentLoaded", enhance);
  document.addEventListener("htmx:afterSettle", enhance);
  // 마지막 그림은 답변 요소를 통째로 바꾼다: 그 뒤의 sseMessage는 떨어져 나간 요소에서 나 문서까지 오지 않는다
  document.addEventListener("htmx:sseBeforeMessage", function () { window.setTimeout(enhance, 0); });
})();
