// 접히는 메뉴(details.menu)와 답변 밑의 신고 양식을 닫는 길: Escape, 바깥 누르기, 다른 것을 열기.
// JavaScript가 없어도 details는 열리고 닫히고 신고는 제 페이지로 간다: 여기서는 닫는 길을 더할 뿐이다.
// 모든 페이지가 싣는다 (계정 메뉴는 어디에나 있다).
(function () {
  "use strict";

  function reportPanels() {
    return document.querySelectorAll(".report-panel:not([hidden]):not(:empty)");
  }

  function closeMenu(menu, focus) {
    menu.open = false;
    if (focus) {
      menu.querySelector("summary").focus();
    }
  }

  // 신고 양식은 숨길 뿐 지우지 않는다: 다시 열면 고른 이유와 쓴 글이 그대로다
  function closeReport(panel, focus) {
    panel.hidden = true;
    var link = panel.parentElement.querySelector(".report-link");
    link.setAttribute("aria-expanded", "false");
    if (focus) {
      link.focus();
    }
  }

  function openReport(panel) {
    closeAll(panel);
    panel.hidden = false;
    panel.parentElement.querySelector(".report-link").setAttribute("aria-expanded", "true");
    panel.scrollIntoView({ block: "nearest" });
    var first = panel.querySelector("input:checked, input, textarea, a");
    if (first) {
      first.focus({ preventScroll: true });
    }
  }

  // 하나를 열면 나머지는 닫는다
  function closeAll(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) {
        closeMenu(menu, false);
      }
    });
    reportPanels().forEach(function (panel) {
      if (panel !== except) {
        closeReport(panel, false);
      }
    });
  }

  // toggle은 거품이 일지 않는다: 잡는 단계에서 듣는다
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu instanceof HTMLDetailsElement && menu.classList.contains("menu") && menu.open) {
      closeAll(menu);
    }
  }, true);

  // Escape는 가장 안쪽 것 하나만 닫는다: 서랍 안의 메뉴를 닫을 때 서랍까지 닫지 않게 (이 파일이 먼저 듣는다)
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = Array.prototype.slice.call(document.querySelectorAll("details.menu[open]"));
    var panels = reportPanels();
    if (open.length) {
      closeMenu(open[open.length - 1], true);
    } else if (panels.length) {
      closeReport(panels[0], true);
    } else {
      return;
    }
    event.stopImmediatePropagation();
  });

  // 신고 링크는 열린 양식을 여닫는다. 한 번 받은 양식은 다시 받지 않는다 (htmx보다 먼저 잡는다)
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest(".report-link") : null;
    var panel = link && link.parentElement.querySelector(".report-panel");
    if (!panel || panel.childElementCount === 0) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (panel.hidden) {
      openReport(panel);
    } else {
      closeReport(panel, true);
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var cancel = target.closest(".report-cancel");
    if (cancel) {
      closeReport(cancel.closest(".report-panel"), true);
      return;
    }
    // 고치기 양식의 취소: 양식을 걷고 고치기 링크로 초점을 돌린다 (JavaScript가 없으면 대화로 가는 링크다)
    var editCancel = target.closest(".edit-panel .edit-cancel");
    if (editCancel) {
      event.preventDefault();
      var editPanel = editCancel.closest(".edit-panel");
      editPanel.replaceChildren();
      var article = editPanel.closest("article");
      var editLink = article && article.querySelector(".edit-link");
      if (editLink) {
        editLink.focus();
      }
      return;
    }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(target)) {
        closeMenu(menu, false);
      }
    });
    reportPanels().forEach(function (panel) {
      if (!panel.parentElement.contains(target)) {
        closeReport(panel, false);
      }
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    // 고치기 양식이 열렸다: 글 끝에 초점을 둔다
    if (panel && panel.classList && panel.classList.contains("edit-panel")) {
      var field = panel.querySelector("textarea");
      if (field) {
        field.focus();
        field.setSelectionRange(field.value.length, field.value.length);
        panel.scrollIntoView({ block: "nearest" });
      }
      return;
    }
    if (panel && panel.classList && panel.classList.contains("report-panel") && panel.querySelector("form")) {
      openReport(panel);
    }
  });
})();
