// 키보드 단축키와 그 도움말 창. 목록은 templates/chat/includes/shortcuts_list.html에 있다.
// 브라우저와 화면 읽기 프로그램이 쓰는 키는 피한다: 글자 키(/, ?)는 글을 쓰는 칸 밖에서만 듣는다.
// Escape는 메뉴가 먼저다: menus.js와 drawer.js가 무언가를 닫았으면 여기까지 오지 않는다 (먼저 실린 쪽이 먼저 듣는다).
(function () {
  "use strict";
  var D = window.Daehwa;

  function dialog() {
    return document.getElementById("shortcuts-dialog");
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || target.closest("input, textarea, select") !== null);
  }

  function openHelp() {
    var help = dialog();
    if (help && !help.open) {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) { menu.open = false; });
      help.showModal();
    }
  }

  // 쓰이는 중인 답변의 "멈추기"를 누른 것과 같다: 서버가 멈추고, 화면은 보통의 길로 바뀐다
  function stopReply() {
    var buttons = document.querySelectorAll("#messages .stop-button:not(:disabled)");
    var button = buttons[buttons.length - 1];
    if (!button) {
      return false;
    }
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || event.keyCode === 229) {
      return;
    }
    var help = dialog();
    var helpOpen = help && help.open;
    var command = event.ctrlKey || event.metaKey;

    // 한글 입력 중이면 key는 "ㅐ"다: 자리(code)로 본다
    if (command && event.shiftKey && !event.altKey && event.code === "KeyO") {
      event.preventDefault();
      var link = document.querySelector(".new-chat");
      if (link) {
        window.location.assign(link.href);
      }
      return;
    }
    if (helpOpen || command || event.altKey) {
      // 열린 창은 제 Escape로 닫힌다 (<dialog>의 기본 동작)
      return;
    }
    if (event.key === "Escape") {
      // 열린 메뉴나 서랍이 없을 때만 여기에 온다. 글을 쓰던 입력창에서도 멈춘다: 다음 질문을 쓰다가 멈추는 일이 흔하다
      if ((!typing(event.target) || event.target.closest(".composer")) && stopReply()) {
        event.preventDefault();
      }
      return;
    }
    if (typing(event.target)) {
      return;
    }
    if (event.key === "/") {
      var field = D.composerField();
      if (field) {
        event.preventDefault();
        field.focus();
      }
    } else if (event.key === "?") {
      event.preventDefault();
      openHelp();
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest(".shortcuts-link") : null;
    if (link && dialog()) {
      event.preventDefault();
      openHelp();
    }
  });
})();
