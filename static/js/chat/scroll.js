// 대화 영역 따라가기: 맨 아래 가까이 있을 때만 새 글을 따라 내려가고, 사람이 위로 올리면 멈춘다.
(function () {
  "use strict";
  var D = window.Daehwa;
  var following = true;
  // 마지막으로 우리가 내려 둔 자리. 그보다 위에 있으면 사람이 올린 것이다 (scroll 이벤트가 늦게 와도)
  var autoTop = 0;
  var earlierFromBottom = null;

  function distanceFromBottom(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  }

  function toBottom() {
    var scroller = D.pane();
    if (scroller) {
      scroller.scrollTop = scroller.scrollHeight;
      autoTop = scroller.scrollTop;
    }
  }

  function syncJump() {
    var scroller = D.pane();
    var jump = D.$(".jump-latest");
    if (scroller && jump) {
      jump.hidden = distanceFromBottom(scroller) < 48;
    }
  }

  function follow() {
    var scroller = D.pane();
    if (following && scroller && scroller.scrollTop + 2 < autoTop) {
      following = false;
    }
    if (following) {
      toBottom();
    }
    syncJump();
  }

  // 사람이 새 글로 가겠다고 했다 (보내기, 다시 시도, 맨 아래로 단추)
  function followNewest() {
    following = true;
    toBottom();
    syncJump();
  }
  D.follow = follow;
  D.followNewest = followNewest;

  document.addEventListener("click", function (event) {
    var jump = event.target instanceof Element ? event.target.closest(".jump-latest") : null;
    if (jump) {
      followNewest();
      var last = D.lastMessage();
      if (last) {
        last.focus({ preventScroll: true });
      }
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("load-earlier") && D.pane()) {
      // 이전 메시지를 위에 붙여도 읽던 자리가 그대로 있게
      earlierFromBottom = D.pane().scrollHeight - D.pane().scrollTop;
    }
  });

  // 새 메시지가 들어간 바로 그때 읽던 자리로 돌려놓는다: 정착(settle)까지 기다리면 그 사이 한 번 튄다
  document.addEventListener("htmx:afterSwap", function () {
    if (earlierFromBottom !== null && D.pane()) {
      D.pane().scrollTop = D.pane().scrollHeight - earlierFromBottom;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (earlierFromBottom !== null && D.pane()) {
      D.pane().scrollTop = D.pane().scrollHeight - earlierFromBottom;
      earlierFromBottom = null;
    } else if (target && target.id === "messages") {
      followNewest();
    }
    syncJump();
  });

  document.addEventListener("htmx:sseMessage", follow);

  document.addEventListener("DOMContentLoaded", function () {
    var scroller = D.pane();
    if (!scroller) {
      return;
    }
    scroller.addEventListener("scroll", function () {
      following = distanceFromBottom(scroller) < 48;
      syncJump();
    }, { passive: true });
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && scroller.contains(target)) {
      target.scrollIntoView({ block: "start" });
    } else if (!D.$(".load-later")) {
      toBottom();
    }
    following = distanceFromBottom(scroller) < 48;
    syncJump();
  });
})();
