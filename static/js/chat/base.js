// 채팅 화면의 작은 동작들이 함께 쓰는 것. 없어도 모든 양식과 링크는 그대로 동작한다.
// 파일마다 한 가지 일을 한다: base(공용), composer(입력창), scroll(따라가기), drawer(서랍), copy(복사), replies(답변),
// shortcuts(키보드 단축키와 그 도움말 창).
// 모두 defer라 이 순서대로 돈다: base가 먼저다.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function $(selector) {
    return document.querySelector(selector);
  }

  // 번역된 문구는 페이지의 data- 속성에 있다 (스크립트 안에 글을 두지 않는다)
  function strings() {
    var node = document.getElementById("chat-strings");
    return node ? node.dataset : {};
  }

  function announce(text) {
    var region = document.getElementById("announcer");
    if (region && text) {
      // 같은 글을 두 번 알려도 읽히게 한 번 비운다
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  }

  function hint(text) {
    var node = document.getElementById("composer-hint");
    if (node) {
      node.textContent = text;
    }
  }

  window.Daehwa = {
    $: $,
    strings: strings,
    announce: announce,
    hint: hint,
    composerField: function () { return $(".composer textarea"); },
    pane: function () { return document.getElementById("chat-scroll"); },
    // 휴대폰 자판: Enter는 줄바꿈이고, 보낸 뒤 입력창에 초점을 두지 않는다 (자판이 답변을 가린다)
    touch: window.matchMedia("(pointer: coarse)"),
    lastMessage: function () { return document.querySelector("#messages > article:last-of-type"); }
  };
})();
