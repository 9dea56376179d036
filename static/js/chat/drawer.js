// 서랍: 좁은 화면의 대화 목록. JavaScript 없이는 :target으로 열리고, 여기서는 주소를 바꾸지 않고 연다.
(function () {
  "use strict";

  function drawer() {
    return document.getElementById("conversations");
  }

  function setDrawer(open) {
    var nav = drawer();
    var toggle = document.querySelector(".drawer-toggle");
    if (!nav || !toggle) {
      return;
    }
    nav.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      // 지금 대화에서 시작한다: 목록에서 자기 자리를 바로 안다
      var first = nav.querySelector("[aria-current=page]") || nav.querySelector(".conversation-list a") || nav.querySelector("a");
      (first || nav).focus();
    }
  }

  function closeDrawer() {
    var nav = drawer();
    if (nav && nav.classList.contains("is-open")) {
      setDrawer(false);
      document.querySelector(".drawer-toggle").focus();
      return true;
    }
    return false;
  }

  // 서랍을 닫은 Escape는 거기서 끝난다: 쓰이는 답변까지 멈추지 않게 (js/chat/shortcuts.js)
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && closeDrawer()) {
      event.stopImmediatePropagation();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    if (target.closest(".drawer-toggle")) {
      event.preventDefault();
      setDrawer(!drawer().classList.contains("is-open"));
      return;
    }
    if (target.closest(".drawer-close")) {
      event.preventDefault();
      closeDrawer();
      return;
    }
    var nav = drawer();
    if (nav && nav.classList.contains("is-open") && !target.closest("#conversations")) {
      setDrawer(false);
    }
  });
})();
