// 입력창: Enter로 보내기, 글에 맞춰 자라기, 예시 질문 채우기, 보낸 뒤 비우기.
// 보내기 단추를 켜고 끄는 것은 서버다 (답변이 쓰이는 동안 꺼진 단추를 보낸다): 여기서는 그 상태를 읽기만 한다.
(function () {
  "use strict";
  var D = window.Daehwa;

  // field-sizing을 모르는 브라우저만 높이를 맞춘다
  function grow(field) {
    if (window.CSS && CSS.supports("field-sizing", "content")) {
      return;
    }
    field.style.height = "auto";
    field.style.height = field.scrollHeight + 2 + "px";
  }

  // 고른 파일이나 거절된 보내기가 남긴 파일이 있으면 글 없이도 보낸다 (js/chat/attach.js)
  function hasFiles(form) {
    var input = form.querySelector(".attach-input");
    return Boolean((input && input.files.length) || form.querySelector("[name=kept]:checked"));
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
    if (D.touch.matches) {
      return;
    }
    event.preventDefault();
    var button = field.form.querySelector("button[type=submit]");
    if (field.value.trim() === "" && !hasFiles(field.form)) {
      return;
    }
    if (button && button.disabled) {
      D.hint(D.strings().waitForReply);
      return;
    }
    field.form.requestSubmit(button);
  });

  document.addEventListener("input", function (event) {
    if (event.target instanceof HTMLTextAreaElement && event.target.closest(".composer")) {
      grow(event.target);
    }
  });

  document.addEventListener("click", function (event) {
    var example = event.target instanceof Element ? event.target.closest(".example") : null;
    var field = D.composerField();
    if (example && field) {
      event.preventDefault();
      field.value = example.dataset.prompt;
      grow(field);
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    }
  });

  // 보낸 뒤: 보낸 글과 지난 거절 이유를 지우고 바로 이어 쓸 수 있게
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // 목록을 바꿨거나(보내기, 고치기, 버전 고르기) 마지막 답변 자리를 바꿨다(다시 생성)
    if (!target || !(target.id === "messages" || target.tagName === "ARTICLE")) {
      return;
    }
    // 보던 갈래의 끝을 맞춰 둔다 (서버가 다른 창의 변화를 알아챈다)
    var leaf = document.querySelector("#composer .composer-leaf");
    var last = D.lastMessage();
    if (leaf && last) {
      leaf.value = last.id.replace("message-", "");
    }
    if (target.id !== "messages") {
      return;
    }
    var config = event.detail.requestConfig;
    var sender = config && config.elt;
    // 보내기(입력창, 계속)만: 다시 생성·고치기·버전 고르기는 초점을 새 답변이나 고른 버전에 둔다 (replies.js, autofocus)
    if (!sender || !(sender.id === "composer" || sender.classList.contains("continue-form"))) {
      return;
    }
    D.hint("");
    var field = D.composerField();
    // 서버는 한도가 있을 때만 (계량기와 함께) 새 입력창을 보낸다. 계속 단추로 보냈다면 쓰던 글은 그대로 둔다.
    if (field && sender.id === "composer") {
      field.value = "";
      grow(field);
      // 보낸 파일도: 고른 목록과 거절된 보내기가 남긴 파일은 이제 그 메시지에 붙어 있다
      document.querySelectorAll("#composer .form-errors, #composer .errorlist, #composer .kept-files").forEach(function (node) {
        node.remove();
      });
      var files = document.querySelector("#composer .attach-input");
      if (files) {
        files.value = "";
        files.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    if (field && !D.touch.matches) {
      field.focus();
    }
  });

  // 서버가 받지 못했다(503, 끊긴 연결): htmx는 바꾸지 않으니 입력한 글은 입력창에 그대로다. 무엇이 안 됐는지만 알린다
  function unavailable() {
    D.hint(D.strings().unavailable);
    D.announce(D.strings().unavailable);
  }
  document.addEventListener("htmx:responseError", unavailable);
  document.addEventListener("htmx:sendError", unavailable);

  document.addEventListener("DOMContentLoaded", function () {
    var field = D.composerField();
    if (field) {
      grow(field);
    }
  });
})();
