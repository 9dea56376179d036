// 채팅 화면의 작은 동작. 없어도 모든 양식과 링크는 그대로 동작한다.
// 입력창(Enter, 자라는 높이), 대화 영역 따라가기, 서랍, 복사, 알림, 초점.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var following = true;
  var retrying = false;
  // 멈추기를 눌렀다: 멈춘 답변이 오든 멈춤 요청의 응답이 오든, 먼저 온 쪽이 입력창으로 초점을 옮긴다
  var stopping = false;
  var earlierFromBottom = null;

  function $(selector) {
    return document.querySelector(selector);
  }

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

  function replying() {
    return $("#messages [sse-connect]") !== null;
  }

  function syncComposer() {
    var button = $("#composer button[type=submit]");
    if (button) {
      button.disabled = replying();
    }
    var heading = document.getElementById("conversation-title");
    if (heading && heading.dataset.pageTitle && document.title !== heading.dataset.pageTitle) {
      document.title = heading.dataset.pageTitle;
    }
  }

  // 대화 영역 따라가기: 맨 아래 가까이 있을 때만 따라가고, 위로 올리면 멈춘다
  function pane() {
    return document.getElementById("chat-scroll");
  }

  function distanceFromBottom(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  }

  // 마지막으로 우리가 내려 둔 자리. 그보다 위에 있으면 사람이 올린 것이다 (scroll 이벤트가 늦게 와도)
  var autoTop = 0;

  function toBottom() {
    var scroller = pane();
    if (scroller) {
      scroller.scrollTop = scroller.scrollHeight;
      autoTop = scroller.scrollTop;
    }
  }

  function follow() {
    var scroller = pane();
    if (following && scroller && scroller.scrollTop + 2 < autoTop) {
      following = false;
    }
    if (following) {
      toBottom();
    }
    syncJump();
  }

  function syncJump() {
    var scroller = pane();
    var jump = $(".jump-latest");
    if (scroller && jump) {
      jump.hidden = distanceFromBottom(scroller) < 48;
    }
  }

  // 입력창: 글에 맞춰 자란다 (field-sizing을 모르는 브라우저만)
  function grow(field) {
    if (window.CSS && CSS.supports("field-sizing", "content")) {
      return;
    }
    field.style.height = "auto";
    field.style.height = field.scrollHeight + 2 + "px";
  }

  function composerField() {
    return $(".composer textarea");
  }

  function hint(text) {
    var node = document.getElementById("composer-hint");
    if (node) {
      node.textContent = text;
    }
  }

  var touch = window.matchMedia("(pointer: coarse)");

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Escape") {
      closeDrawer();
      return;
    }
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
    // 휴대폰 자판의 Enter는 줄바꿈이다: 보내기는 단추로
    if (touch.matches) {
      return;
    }
    event.preventDefault();
    var button = field.form.querySelector("button[type=submit]");
    if (field.value.trim() === "") {
      return;
    }
    if (replying() || (button && button.disabled)) {
      hint(strings().waitForReply);
      return;
    }
    field.form.requestSubmit(button);
  });

  document.addEventListener("input", function (event) {
    if (event.target instanceof HTMLTextAreaElement && event.target.closest(".composer")) {
      grow(event.target);
    }
  });

  // 서랍 (좁은 화면의 대화 목록)
  function drawer() {
    return document.getElementById("conversations");
  }

  function setDrawer(open) {
    var nav = drawer();
    var toggle = $(".drawer-toggle");
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
      $(".drawer-toggle").focus();
    }
  }

  // 복사
  function copied(button) {
    var label = button.textContent;
    button.textContent = strings().copied;
    announce(strings().copied);
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  function copyFailed() {
    announce(strings().copyFailed);
    hint(strings().copyFailed);
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
    if (!target) {
      return;
    }
    var button = target.closest(".copy-message");
    if (button) {
      copySource(button);
      return;
    }
    button = target.closest(".code-copy");
    if (button) {
      var code = button.parentElement.querySelector("code");
      navigator.clipboard.writeText(code ? code.textContent : "").then(function () { copied(button); }, copyFailed);
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
    var example = target.closest(".example");
    if (example && composerField()) {
      event.preventDefault();
      var field = composerField();
      field.value = example.dataset.prompt;
      grow(field);
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
      return;
    }
    var jump = target.closest(".jump-latest");
    if (jump) {
      following = true;
      toBottom();
      syncJump();
      var last = document.querySelector("#messages > article:last-of-type");
      if (last) {
        last.focus({ preventScroll: true });
      }
    }
  });

  // 코드 블록마다 복사 단추 (언어 이름은 CSS가 data-lang으로 보인다)
  function enhance(root) {
    var labels = strings();
    root.querySelectorAll(".markdown pre.code:not([data-copy])").forEach(function (pre) {
      pre.setAttribute("data-copy", "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "code-copy";
      button.textContent = labels.copyCode;
      button.setAttribute("aria-label", labels.copyCodeLabel + (pre.dataset.lang ? " (" + pre.dataset.lang + ")" : ""));
      pre.appendChild(button);
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    retrying = !!(form && form.querySelector && form.querySelector(".retry-button"));
    stopping = stopping || !!(form && form.querySelector && form.querySelector(".stop-button"));
  });

  // 멈춘 뒤에는 입력창으로. 멈춘 답변이 먼저 와서 멈춤 양식을 지웠다면 그 요청의 이벤트는 문서까지 오지 않는다.
  function afterStop() {
    if (stopping && composerField()) {
      stopping = false;
      composerField().focus();
    }
  }

  // 서버가 받지 못했다(503, 끊긴 연결): htmx는 바꾸지 않으니 입력한 글은 입력창에 그대로다. 무엇이 안 됐는지만 알린다
  function unavailable() {
    hint(strings().unavailable);
    announce(strings().unavailable);
  }
  document.addEventListener("htmx:responseError", unavailable);
  document.addEventListener("htmx:sendError", unavailable);

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.querySelector && elt.querySelector(".stop-button")) {
      afterStop();
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("load-earlier") && pane()) {
      // 이전 메시지를 위에 붙여도 읽던 자리가 그대로 있게
      earlierFromBottom = pane().scrollHeight - pane().scrollTop;
    }
  });

  // 새 메시지가 들어간 바로 그때 읽던 자리로 돌려놓는다: 정착(settle)까지 기다리면 그 사이 한 번 튄다
  document.addEventListener("htmx:afterSwap", function () {
    if (earlierFromBottom !== null && pane()) {
      pane().scrollTop = pane().scrollHeight - earlierFromBottom;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    enhance(document);
    syncComposer();
    if (earlierFromBottom !== null && pane()) {
      pane().scrollTop = pane().scrollHeight - earlierFromBottom;
      earlierFromBottom = null;
      return;
    }
    if (target && target.id === "messages") {
      // 보낸 뒤: 새 메시지로 내려가고 입력창에 바로 이어 쓸 수 있게
      var reply = document.querySelector("#messages > article:last-of-type");
      if (reply && reply.classList.contains("bubble-assistant") && !reply.hasAttribute("sse-connect")) {
        // 응답을 그리기 전에 이미 끝났다 (예: 곧바로 실패)
        announceFinished(reply);
      }
      following = true;
      toBottom();
      hint("");
      var field = composerField();
      var config = event.detail.requestConfig;
      var fromComposer = config && config.elt && config.elt.id === "composer";
      // 보낸 글과 지난 거절 이유를 지운다: 서버는 한도가 있을 때만 (계량기와 함께) 새 입력창을 보낸다.
      // 계속 단추로 보냈다면 입력창에 쓰던 글은 그대로 둔다.
      if (field && fromComposer) {
        field.value = "";
        grow(field);
        document.querySelectorAll("#composer .form-errors, #composer .errorlist").forEach(function (node) {
          node.remove();
        });
      }
      // 휴대폰에서는 자판이 답변을 가리지 않게 입력창에 초점을 두지 않는다
      if (field && !touch.matches) {
        field.focus();
      }
    } else if (retrying) {
      // 다시 시도한 답변으로 (바뀐 요소는 새것이라 id로 다시 찾는다)
      retrying = false;
      var article = target && target.id ? document.getElementById(target.id) : null;
      following = true;
      toBottom();
      if (article) {
        article.focus({ preventScroll: true });
      }
    }
    syncJump();
  });

  // 끝난 답변을 한 번 알린다 (토큰마다가 아니라): 실패면 그 이유를
  function announceFinished(article) {
    var error = article && article.querySelector(".bubble-error");
    announce(error ? error.textContent : strings().replyFinished);
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (event.detail.type !== "reply") {
      return;
    }
    var id = event.target.id;
    var hadFocus = document.activeElement === event.target;
    window.setTimeout(function () {
      var article = document.getElementById(id);
      if (hadFocus && article) {
        // 초점이 있던 답변이 끝난 모습으로 바뀌어도 초점은 그 답변에 남는다
        article.focus({ preventScroll: true });
      }
      afterStop();
      announceFinished(article);
      enhance(document);
      syncComposer();
      follow();
      hint("");
    }, 0);
  });

  document.addEventListener("htmx:sseMessage", function () {
    enhance(document);
    follow();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var scroller = pane();
    enhance(document);
    if (scroller) {
      new MutationObserver(syncComposer).observe(document.getElementById("messages") || scroller, { childList: true, subtree: true });
      scroller.addEventListener("scroll", function () {
        following = distanceFromBottom(scroller) < 48;
        syncJump();
      }, { passive: true });
      var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
      if (target && scroller.contains(target)) {
        target.scrollIntoView({ block: "start" });
      } else if (!$(".load-later")) {
        toBottom();
      }
      following = distanceFromBottom(scroller) < 48;
      syncJump();
      var last = document.querySelector("#messages > article:last-of-type");
      if (last && last.querySelector(".bubble-error")) {
        // 막 보낸 첫 메시지의 답이 곧바로 실패해 이 화면이 열렸을 수 있다: 이유를 알린다
        announceFinished(last);
      }
    }
    syncComposer();
    var field = composerField();
    if (field) {
      grow(field);
    }
  });
})();
