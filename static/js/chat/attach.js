// 입력창의 첨부: 고른 파일 목록과 빼기, 끌어 놓기, 붙여 넣기. 파일은 늘 입력창의 <input type=file>에 있다:
// 더하고 빼는 것은 그 칸의 files를 DataTransfer로 다시 짓는 일이다. 이 파일이 없어도 보통의 파일 칸으로 간다.
(function () {
  "use strict";
  var list = Array.prototype.slice;
  var timer;

  function composerInput() {
    return document.querySelector(".composer .attach-input");
  }

  function node(tag, className, text) {
    var made = document.createElement(tag);
    made.className = className;
    made.textContent = text || "";
    return made;
  }

  // 크기는 단위 기호로 (서버의 filesizeformat처럼 1024씩)
  function size(bytes) {
    var step = 0;
    for (; bytes >= 1024 && step < 2; step += 1) {
      bytes /= 1024;
    }
    return (step ? bytes.toFixed(1) : bytes) + " " + ["B", "KB", "MB"][step];
  }

  // 고른 파일 목록을 다시 그린다 (aria-live라 읽힌다). 파일이 있으면 글 없이도 보낼 수 있다 (서버도 그렇게 받는다)
  function render(input) {
    var field = input.closest(".attach-field");
    var chosen = field.querySelector(".attach-chosen");
    var text = input.form.querySelector("textarea");
    chosen.textContent = "";
    list.call(input.files).forEach(function (file, index) {
      var item = node("li", "attachment-chip");
      var body = node("span", "attachment-body");
      var words = node("span", "attachment-text");
      var remove = node("button", "attach-remove", "✕");
      words.append(node("span", "attachment-name", file.name), node("span", "attachment-meta", size(file.size)));
      body.title = file.name;
      body.append(words);
      remove.type = "button";
      remove.value = index;
      remove.setAttribute("aria-label", field.dataset.remove + ": " + file.name);
      item.append(body, remove);
      chosen.append(item);
    });
    if (text) {
      text.required = !input.files.length && !input.form.querySelector("[name=kept]:checked");
    }
  }

  function rebuild(input, files) {
    var merged = new DataTransfer();
    files.forEach(function (file) { merged.items.add(file); });
    input.files = merged.files;
    render(input);
  }

  // 붙여 넣은 화면 그림은 브라우저가 "image.png"라 부른다: 여럿이어도 가려 보이게 시각을 붙인다
  function named(file) {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    var stamp = now.toISOString().replace(/\D/g, "");
    return /^image\.\w+$/.test(file.name)
      ? new File([file], file.name.replace("image", "screenshot-" + stamp.slice(0, 8) + "-" + stamp.slice(8, 14)), { type: file.type })
      : file;
  }

  document.addEventListener("change", function (event) {
    var input = event.target.closest(".composer") && event.target.form.querySelector(".attach-input");
    if (input && (event.target === input || event.target.name === "kept")) {
      render(input);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".attach-remove") : null;
    var input = button && composerInput();
    if (input) {
      rebuild(input, list.call(input.files).filter(function (file, index) { return index !== Number(button.value); }));
      input.focus();
    }
  });

  // 글과 함께 복사한 것(문서의 한 부분)은 글로 붙인다. 파일만 있을 때(화면 그림, 복사한 파일)만 첨부한다
  document.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    var input = event.target instanceof Element && event.target.closest(".composer") && composerInput();
    if (input && data && data.files.length && list.call(data.types).indexOf("text/plain") < 0) {
      event.preventDefault();
      rebuild(input, list.call(input.files).concat(list.call(data.files).map(named)));
    }
  });

  // 파일을 끄는 동안 입력창이 놓을 자리임을 보인다. 페이지 어디에 놓아도 입력창이 받는다: 브라우저가 파일을 열며
  // 이 화면(쓰던 글)을 떠나지 않게. dragleave는 자식마다 일어나므로, dragover가 끊기면 표시를 거둔다
  function dragged(event) {
    var input = composerInput();
    var transfer = event.dataTransfer;
    if (!input || !transfer || list.call(transfer.types).indexOf("Files") < 0) {
      return;
    }
    event.preventDefault();
    window.clearTimeout(timer);
    input.form.classList.toggle("is-dropping", event.type === "dragover");
    if (event.type === "drop") {
      rebuild(input, list.call(input.files).concat(list.call(transfer.files)));
    } else {
      transfer.dropEffect = "copy";
      timer = window.setTimeout(function () { input.form.classList.remove("is-dropping"); }, 250);
    }
  }
  document.addEventListener("dragover", dragged);
  document.addEventListener("drop", dragged);
})();
