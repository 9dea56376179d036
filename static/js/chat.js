// 채팅 입력창의 작은 동작: Enter로 보내기, Shift+Enter로 줄바꿈, 입력기 조합 중 Enter 무시,
// 답변이 생성되는 동안 보내기 단추 끄기, 답변이 자랄 때 아래로 따라가기. 없어도 양식은 그대로 동작한다.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function replying() {
    return document.querySelector("#messages [sse-connect]") !== null;
  }

  function syncComposer() {
    var button = document.querySelector("#composer button[type=submit]");
    if (button) {
      button.disabled = replying();
    }
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.closest(".composer")) {
      return;
    }
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    // 한글 같은 입력기는 조합 중인 글자를 Enter로 확정한다. 그 Enter는 보내기가 아니다.
    // (Safari는 조합을 끝내는 Enter를 isComposing 없이 keyCode 229로 보낸다)
    if (event.isComposing || event.keyCode === 229) {
      return;
    }
    event.preventDefault();
    var button = field.form.querySelector("button[type=submit]");
    if (button && !button.disabled && field.value.trim() !== "") {
      field.form.requestSubmit(button);
    }
  });

  // 보낸 뒤 새 입력창에 바로 이어 쓸 수 있게
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "messages") {
      var field = document.querySelector("#composer textarea");
      if (field) {
        field.focus();
      }
      window.scrollTo(0, document.body.scrollHeight);
    }
  });

  document.addEventListener("htmx:sseMessage", function () {
    if (nearBottom()) {
      window.scrollTo(0, document.body.scrollHeight);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("messages");
    if (list) {
      new MutationObserver(syncComposer).observe(document.body, { childList: true, subtree: true });
      syncComposer();
      if (!window.location.hash && !document.querySelector(".load-later")) {
        window.scrollTo(0, document.body.scrollHeight);
      }
    }
  });
})();
