;;; assist-test.el --- ERT tests of assist.el against the real daemon -*- lexical-binding: t -*-
(require 'ert)
(require 'assist)

(defvar at-bin (or (getenv "ASSIST_BIN") "assist"))
(defvar at-standin (expand-file-name "../../testing/stand_in_model.py"
                                     (file-name-directory (or load-file-name buffer-file-name))))
(defvar at-source "public func add(_ a: Int, _ b: Int) -> Int { a + b }\n")
(defvar at-doc "/// Adds two integers.\n/// - Parameters:\n///   - a: The first.\n///   - b: The second.\n/// - Returns: The sum.\n")
(defvar at-doc-applied "/// Adds two integers.\n///\n/// - Parameters:\n///   - a: The first.\n///   - b: The second.\n/// - Returns: The sum.\n")
(setq eglot-autoreconnect nil)

(defun at-wait (pred &optional secs)
  (with-timeout ((or secs 60) nil)
    (while (not (funcall pred)) (accept-process-output nil 0.05))
    t))

(defun at-repo ()
  (let ((dir (file-name-as-directory (make-temp-file "assist-el-" t))))
    (make-directory (concat dir "Sources"))
    (with-temp-file (concat dir "Sources/Math.swift") (insert at-source))
    (let ((default-directory dir))
      (call-process "git" nil nil nil "init" "-q")
      (call-process "git" nil nil nil "add" ".")
      (call-process "git" nil nil nil "-c" "user.name=t" "-c" "user.email=t@t" "commit" "-q" "-m" "init"))
    dir))

(defun at-standin-start (rules)
  "Start the stand-in with RULES; return (PROCESS . PORT)."
  (let* ((file (make-temp-file "rules-" nil ".json" (json-encode rules)))
         (buf (generate-new-buffer " *standin*"))
         (p (make-process :name "standin" :buffer buf :noquery t
                          :command (list "python3" at-standin "--replies" file))))
    (at-wait (lambda () (with-current-buffer buf (string-match "PORT \\([0-9]+\\)" (buffer-string)))) 10)
    (cons p (with-current-buffer buf
              (string-match "PORT \\([0-9]+\\)" (buffer-string))
              (match-string 1 (buffer-string))))))

(defun at-shutdown-all ()
  (dolist (s (ignore-errors (hash-table-values eglot--servers-by-project)))
    (dolist (srv s) (ignore-errors (eglot-shutdown srv))))
  (dolist (b (buffer-list))
    (when (buffer-file-name b) (with-current-buffer b (set-buffer-modified-p nil)) (kill-buffer b)))
  (dolist (n '("*assist-preview*" "*assist-ask*")) (when (get-buffer n) (kill-buffer n))))

(defmacro at-with (rules &rest body)
  "Run BODY visiting Sources/Math.swift of a fresh repo; RULES for the stand-in, or :real."
  (declare (indent 1))
  `(let* ((sp (unless (eq ,rules :real) (at-standin-start ,rules)))
          (process-environment (copy-sequence process-environment))
          (assist-program at-bin)
          (assist-preview t)
          (assist-model nil)
          (assist--last nil)
          (assist-last-error nil)
          (assist-progress-log nil)
          (repo (at-repo)))
     (when sp
       (setenv "ASSIST_PROVIDERS_LOCAL_BASE_URL" (format "http://127.0.0.1:%s/v1" (cdr sp)))
       (setenv "ASSIST_PROVIDERS_LOCAL_MODEL" "stand-in"))
     (unwind-protect
         (with-current-buffer (find-file-noselect (concat repo "Sources/Math.swift"))
           ,@body)
       (at-shutdown-all)
       (when sp (delete-process (car sp)))
       (delete-directory repo t))))

(defun at-preview-text ()
  (at-wait (lambda () (get-buffer "*assist-preview*")) 60)
  (with-current-buffer "*assist-preview*" (buffer-string)))

(defun at-done () (at-wait (lambda () (null assist--in-flight)) 90))

(ert-deftest assist-document-preview-hunk ()
  (at-with `[((reply . ,at-doc))]
    (goto-char (point-min))
    (assist-document)
    (should (at-done))
    (let ((p (at-preview-text)))
      (should (string-match-p "^\\+/// Adds two integers\\.$" p))
      (should (string-match-p "^@@ " p)))
    (should (equal (buffer-string) at-source))
    (should (cl-some (lambda (s) (string-match-p "Writing doc comments" s)) assist-progress-log))
    (with-current-buffer "*assist-preview*"
      (goto-char (point-min)) (diff-hunk-next)
      (should (eq (key-binding (kbd "C-c C-a")) 'diff-apply-hunk))
      (call-interactively (key-binding (kbd "C-c C-a"))))
    (should (equal (buffer-string) (concat at-doc-applied at-source)))
    (should (string-match-p "docstring via local stand-in" (assist-route)))))

(ert-deftest assist-document-file-no-preview ()
  (at-with `[((reply . ,at-doc))]
    (let ((assist-preview nil))
      (assist-document-file)
      (should (at-done))
      (should (equal (buffer-string) (concat at-doc-applied at-source))))))

(ert-deftest assist-reject-leaves-buffer ()
  (at-with `[((reply . ,at-doc))]
    (assist-document)
    (should (at-done))
    (at-preview-text)
    (with-current-buffer "*assist-preview*"
      (call-interactively (key-binding (kbd "q"))))
    (should-not (buffer-live-p (get-buffer "*assist-preview*")))
    (should (equal (buffer-string) at-source))))

(ert-deftest assist-refactor-accept-all ()
  (at-with `[((reply . "```swift\npublic func add(_ x: Int, _ y: Int) -> Int { x + y }\n```\n"))]
    (assist-refactor (point-min) (point-max) "rename a to x and b to y")
    (should (at-done))
    (should (string-match-p "^\\+public func add(_ x: Int, _ y: Int)" (at-preview-text)))
    (with-current-buffer "*assist-preview*"
      (call-interactively (key-binding (kbd "C-c C-y"))))
    (should (equal (buffer-string) "public func add(_ x: Int, _ y: Int) -> Int { x + y }\n"))))

(ert-deftest assist-ask-streams ()
  (at-with `[((reply . "It adds two integers."))]
    (assist-ask "What does add do?")
    (should (at-done))
    (should (equal (with-current-buffer "*assist-ask*" (buffer-string)) "It adds two integers."))
    (should (with-current-buffer "*assist-ask*" buffer-read-only))))

(ert-deftest assist-missing-program ()
  (at-with `[]
    (let ((assist-program "/nonexistent/assist"))
      (should (equal (cadr (should-error (assist-document) :type 'user-error))
                     "assist: program not found: /nonexistent/assist (set `assist-program')")))))

(ert-deftest assist-daemon-died-restarts ()
  (at-with `[((reply . ,at-doc))]
    (let ((s (assist--server)))
      (kill-process (jsonrpc--process s))
      (should (at-wait (lambda () (not (jsonrpc-running-p s))) 10)))
    (assist-document)
    (should (string-match-p "the daemon for .* stopped; restarting it" assist-last-error))
    (should (at-done))
    (should (string-match-p "^\\+/// Adds two integers\\.$" (at-preview-text)))))

(ert-deftest assist-cancel-honoured ()
  (at-with `[((reply . ,at-doc) (delay . 4))]
    (assist-document)
    (at-wait (lambda () assist-progress-log) 10)
    (assist-cancel)
    (should (at-done))
    (should (equal assist-last-error "assist: request cancelled"))
    (should-not (buffer-live-p (get-buffer "*assist-preview*")))
    (should (equal (buffer-string) at-source))))

(ert-deftest assist-real-model-docstring ()
  (at-with :real
    (let ((assist-model "smollm2-135m") (assist-preview nil) (t0 (float-time)))
      (assist-document)
      (should (at-done))
      (message "real model: %.1f s from command to edit" (- (float-time) t0))
      (should (string-match-p "\\`/// .+\n\\(///.*\n\\)*public func add" (buffer-string))))))
