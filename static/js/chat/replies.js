// 답변: 끝난 답변을 한 번 알리고, 초점을 지키고, 멈춘 뒤와 다시 생성·고쳐 보낸 뒤 갈 곳을 정한다.
(function () {
  "use strict";
  var D = window.Daehwa;
  var retrying = false;
  // 멈추기를 눌렀다: 멈춘 답변이 오든 멈춤 요청의 응답이 오든, 먼저 온 쪽이 입력창으로 초점을 옮긴다
  var stopping = false;

  // 끝난 답변을 한 번 알린다 (토큰마다가 아니라): 실패면 그 이유를
  function announceFinished(article) {
    var error = article && article.querySelector(".bubble-error");
    D.announce(error ? error.textContent : D.strings().replyFinished);
  }

  function afterStop() {
    if (stopping && D.composerField()) {
      stopping = false;
      D.composerField().focus();
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    // 다시 생성(다시 시도)과 고쳐 보내기: 대화 목록이 다시 그려지면 새 답변으로 간다
    retrying = !!(form && form.querySelector &&
      (form.querySelector(".retry-button, .regenerate-button") || form.classList.contains("edit-form")));
    stopping = stopping || !!(form && form.querySelector && form.querySelector(".stop-button"));
  });

  // 멈춘 답변이 먼저 와서 멈춤 양식을 지웠다면 그 요청의 이벤트는 문서까지 오지 않는다: 둘 다 afterStop을 부른다
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.querySelector && elt.querySelector(".stop-button")) {
      afterStop();
    }
  });

  // 버전 고르기는 끝난 답변을 새로 받은 것이 아니다: 알리지 않는다 (초점은 autofocus가 고른 버전에 둔다)
  function fromVersions(event) {
    var config = event.detail.requestConfig;
    return !!(config && config.elt && config.elt.closest && config.elt.closest(".versions"));
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // 다시 생성(마지막 답변 자리만, 또는 목록째)과 고쳐 보내기: 새 답변으로
    if (target && (target.id === "messages" || target.tagName === "ARTICLE") && retrying) {
      retrying = false;
      var fresh = D.lastMessage();
      D.followNewest();
      if (fresh) {
        fresh.focus({ preventScroll: true });
      }
    } else if (target && target.id === "messages" && !fromVersions(event)) {
      var reply = D.lastMessage();
      if (reply && reply.classList.contains("bubble-assistant") && !reply.hasAttribute("sse-connect")) {
        // 응답을 그리기 전에 이미 끝났다 (예: 곧바로 실패)
        announceFinished(reply);
      }
    }
  });

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
      syncTitle();
      D.follow();
      D.hint("");
    }, 0);
  });

  // 탭 제목: 서버가 보낸 새 제목(첫 답변 뒤 out-of-band로, 이름 바꾸기 뒤 머리글째)을 따르고, 답변이 쓰이는
  // 동안에는 그렇다고 앞에 붙인다 (다른 탭을 보다가도 안다)
  function syncTitle() {
    var heading = document.getElementById("conversation-title");
    if (!heading || !heading.dataset.pageTitle) {
      return;
    }
    var writing = document.querySelector("#messages [aria-busy=true]") !== null;
    var title = (writing ? D.strings().writingTitle + " · " : "") + heading.dataset.pageTitle;
    if (document.title !== title) {
      document.title = title;
    }
  }
  document.addEventListener("htmx:oobAfterSwap", syncTitle);
  document.addEventListener("htmx:afterSettle", syncTitle);

  document.addEventListener("DOMContentLoaded", function () {
    var last = D.lastMessage();
    if (last && last.querySelector(".bubble-error")) {
      // 막 보낸 첫 메시지의 답이 곧바로 실패해 이 화면이 열렸을 수 있다: 이유를 알린다
      announceFinished(last);
    }
  });
})();
