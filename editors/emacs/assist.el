;;; assist.el --- Eglot client for the assist code-assistant daemon -*- lexical-binding: t -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, languages
;; URL: https://example.invalid/assist

;;; Commentary:

;; Commands: `assist-document', `assist-document-file', `assist-refactor',
;; `assist-ask', `assist-route', `assist-cancel'.  Every edit is shown as a
;; `diff-mode' preview (C-c C-a applies the hunk at point, C-c C-y applies
;; all, q rejects) unless `assist-preview' is nil.  `assist serve' is started
;; once per repository root through Eglot.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)
(require 'diff-mode)
(require 'url-util)

(defgroup assist nil
  "Client for the assist code-assistant daemon."
  :group 'tools
  :prefix "assist-")

(defcustom assist-program "assist"
  "Path or name of the `assist' executable (looked up in PATH)."
  :type 'string)

(defcustom assist-preview t
  "Non-nil: preview every edit as a diff first.  nil: apply at once."
  :type 'boolean)

(defcustom assist-model nil
  "Local model for requests; nil: the daemon's default.
\"qwen2.5-coder-0.5b\" or \"smollm2-135m\" (the small test model)."
  :type '(choice (const :tag "Daemon default" nil) string))

(defcustom assist-request-timeout 300
  "Seconds to wait for an answer of the daemon."
  :type 'integer)

(defvar assist-progress-log nil
  "Progress messages seen, newest first.")
(defvar assist-mode-line-string ""
  "Progress shown in the mode line.")
(put 'assist-mode-line-string 'risky-local-variable t)
(unless (memq 'assist-mode-line-string global-mode-string)
  (setq global-mode-string (append global-mode-string '(assist-mode-line-string))))

(defvar assist--last nil "Result plist of the last request.")
(defvar assist--in-flight nil "List (SERVER ID METHOD) of the request in flight.")
(defvar assist--roots (make-hash-table :test #'equal) "Roots whose daemon was started.")
(defvar assist--token-counter 0)
(defvar assist--ask-token nil)
(defvar assist-last-error nil "Text of the last error shown.")

;;;; Server

(defclass assist-server (eglot-lsp-server) ()
  :documentation "An `assist serve' daemon.")

;; The daemon refreshes its index on didSave and watches git's HEAD and staging area itself, and
;; registers file watchers only with clients that offer them: this one does not offer them, so no
;; folder of the repository gets a file-notify watch.
(cl-defmethod eglot-client-capabilities ((_s assist-server))
  (let* ((caps (copy-tree (cl-call-next-method)))
         (workspace (plist-get caps :workspace)))
    (plist-put caps :workspace
               (plist-put workspace :didChangeWatchedFiles (list :dynamicRegistration :json-false)))))

(define-derived-mode assist-swift-mode prog-mode "Swift"
  "Minimal Swift mode, used when no `swift-mode' is installed.")
(unless (fboundp 'swift-mode)
  (add-to-list 'auto-mode-alist '("\\.swift\\'" . assist-swift-mode)))

(defun assist--contact (&optional _interactive)
  "Eglot contact for `assist serve'."
  (let ((program (if (file-name-absolute-p assist-program)
                     (and (file-executable-p assist-program) assist-program)
                   (executable-find assist-program))))
    (unless program
      (assist--fail (format "assist: program not found: %s (set `assist-program')" assist-program)))
    (list 'assist-server program "serve")))

(add-to-list 'eglot-server-programs
             '((swift-mode swift-ts-mode assist-swift-mode) . assist--contact))

(defun assist--fail (text)
  (setq assist-last-error text)
  (user-error "%s" text))

(defun assist--root ()
  (let ((p (project-current)))
    (and p (expand-file-name (if (fboundp 'project-root) (project-root p) (car (project-roots p)))))))

(defun assist--server ()
  "The live daemon for this buffer's repository, started or restarted."
  (let ((s (ignore-errors (eglot-current-server)))
        (root (assist--root)))
    (unless root (assist--fail "assist: this buffer is not in a repository"))
    (if (and s (jsonrpc-running-p s))
        s
      (when (gethash root assist--roots)
        (message "%s" (setq assist-last-error
                            (format "assist: the daemon for %s stopped; restarting it" root))))
      (assist--contact)
      (let ((eglot-sync-connect t))
        (apply #'eglot--connect (eglot--guess-contact)))
      (setq s (eglot-current-server))
      (unless (and s (jsonrpc-running-p s))
        (assist--fail "assist: could not start `assist serve'"))
      (puthash root t assist--roots)
      s)))

(cl-defmethod eglot-handle-notification ((_s assist-server) (_m (eql $/progress))
                                         &key token value &allow-other-keys)
  "Show progress of assist requests."
  (cond
   ((and assist--ask-token (equal token assist--ask-token) (plist-get value :answer))
    (assist--ask-append (plist-get value :answer)))
   (t
    (let* ((kind (plist-get value :kind))
           (text (string-join (delq nil (list (plist-get value :title) (plist-get value :message))) ": ")))
      (push (format "%s %s" kind text) assist-progress-log)
      (setq assist-mode-line-string
            (if (equal kind "end") "" (format " [assist: %s]" text)))
      (force-mode-line-update t)
      (unless (equal kind "end") (message "assist: %s" text))))))

;;;; Requests

(defun assist--uri (&optional file)
  (concat "file://" (url-hexify-string (expand-file-name (or file buffer-file-name))
                                       url-path-allowed-chars)))

(defun assist--pos (pt)
  (save-excursion
    (goto-char pt)
    (list :line (1- (line-number-at-pos)) :character (- (point) (line-beginning-position)))))

(defun assist--request (method params on-success)
  "Send METHOD with PARAMS; call ON-SUCCESS with the result."
  (unless buffer-file-name (assist--fail "assist: this buffer visits no file"))
  (let* ((server (assist--server))
         (buf (current-buffer))
         (token (format "assist-%d" (cl-incf assist--token-counter)))
         (params (append params (list :workDoneToken token)
                         (and assist-model (list :model assist-model))))
         id)
    (when (fboundp 'eglot--signal-textDocument/didChange)
      (eglot--signal-textDocument/didChange))
    (setq assist-mode-line-string (format " [assist: %s]" method))
    (let ((done (lambda ()
                  (setq assist--in-flight nil
                        assist-mode-line-string "")
                  (force-mode-line-update t))))
      (setq id (car (funcall (if (fboundp 'jsonrpc--async-request-1)
                                 #'jsonrpc--async-request-1
                               #'jsonrpc-async-request)
                     server (intern (concat ":" method)) params
                     :timeout assist-request-timeout
                     :success-fn (lambda (result)
                                   (funcall done)
                                   (setq assist--last result)
                                   (with-current-buffer (if (buffer-live-p buf) buf (current-buffer))
                                     (funcall on-success result)))
                     :error-fn (lambda (err)
                                 (funcall done)
                                 (let ((code (plist-get err :code)))
                                   (setq assist-last-error
                                         (if (eql code -32800)
                                             "assist: request cancelled"
                                           (format "assist: %s" (plist-get err :message))))
                                   (message "%s" assist-last-error)))
                     :timeout-fn (lambda ()
                                   (funcall done)
                                   (message "%s" (setq assist-last-error "assist: the daemon did not answer in time")))))))
    (setq assist--in-flight (list server id method))
    id))

;;;###autoload
(defun assist-document ()
  "Document the declaration at point."
  (interactive)
  (assist--request "assist/docstring"
                   (list :textDocument (list :uri (assist--uri)) :position (assist--pos (point)))
                   #'assist--show-edit))

;;;###autoload
(defun assist-document-file ()
  "Document every undocumented declaration of the buffer."
  (interactive)
  (assist--request "assist/docstring"
                   (list :textDocument (list :uri (assist--uri)) :all t)
                   #'assist--show-edit))

;;;###autoload
(defun assist-refactor (beg end instruction)
  "Refactor the region BEG..END as INSTRUCTION says."
  (interactive (if (use-region-p)
                   (list (region-beginning) (region-end) (read-string "Refactor instruction: "))
                 (user-error "assist: select the code to refactor first")))
  (when (string-blank-p instruction) (assist--fail "assist: the instruction is empty"))
  (assist--request "assist/refactor"
                   (list :textDocument (list :uri (assist--uri)) :instruction instruction
                         :range (list :start (assist--pos beg) :end (assist--pos end)))
                   #'assist--show-edit))

(defun assist--ask-buffer ()
  (let ((b (get-buffer-create "*assist-ask*")))
    (with-current-buffer b (unless (derived-mode-p 'special-mode) (special-mode)))
    b))

(defun assist--ask-append (text)
  (with-current-buffer (assist--ask-buffer)
    (let ((inhibit-read-only t))
      (goto-char (point-max))
      (insert text))))

;;;###autoload
(defun assist-ask (question)
  "Ask QUESTION about the repository; the answer streams into *assist-ask*."
  (interactive (list (read-string "Ask assist: ")))
  (when (string-blank-p question) (assist--fail "assist: the question is empty"))
  (let ((token (format "assist-answer-%d" (cl-incf assist--token-counter))))
    (setq assist--ask-token token)
    (with-current-buffer (assist--ask-buffer)
      (let ((inhibit-read-only t)) (erase-buffer)))
    (display-buffer (assist--ask-buffer))
    (assist--request "assist/ask"
                     (append (list :question question :partialResultToken token)
                             (and buffer-file-name (list :textDocument (list :uri (assist--uri)))))
                     (lambda (result)
                       (with-current-buffer (assist--ask-buffer)
                         (let ((inhibit-read-only t))
                           (erase-buffer)
                           (insert (or (plist-get result :answer) ""))
                           (when (plist-get result :changeError)
                             (insert "\n\n[no change: " (plist-get result :changeError) "]"))))
                       (when (assist--nonempty (plist-get result :diff))
                         (assist--show-edit result))))))

;;;###autoload
(defun assist-route ()
  "Show the last request's route, model, tokens and cost."
  (interactive)
  (unless assist--last (user-error "assist: no request yet"))
  (let* ((route (plist-get assist--last :route))
         (usage (plist-get assist--last :usage))
         (text (format "assist: %s via %s %s, tokens %s in + %s out, cost $%.4f"
                       (plist-get route :kind) (plist-get route :backend) (plist-get route :model)
                       (plist-get usage :promptTokens) (plist-get usage :completionTokens)
                       (or (plist-get assist--last :costUSD) 0))))
    (with-current-buffer (get-buffer-create "*assist-route*")
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert text "\n\n")
        (mapc (lambda (r) (insert (format "%-13s %-14s %s\n" (plist-get r :step)
                                          (plist-get r :outcome) (plist-get r :detail))))
              (plist-get route :reasons))
        (special-mode)))
    (message "%s" text)
    text))

;;;###autoload
(defun assist-cancel ()
  "Cancel the request in flight."
  (interactive)
  (if (not assist--in-flight)
      (message "assist: no request in flight")
    (cl-destructuring-bind (server id method) assist--in-flight
      (jsonrpc-notify server :$/cancelRequest (list :id id))
      (message "assist: cancelling %s" method))))

;;;; Edits

(defun assist--nonempty (s) (and (stringp s) (not (string-empty-p s))))

(defun assist--show-edit (result)
  (let ((diff (plist-get result :diff)))
    (cond
     ((not (assist--nonempty diff))
      (message "assist: nothing to change"))
     (assist-preview (assist--preview diff))
     (t (assist--apply-edits (plist-get result :edits))
        (message "assist: edit applied")))))

(defvar assist-preview-mode-map
  (let ((m (make-sparse-keymap)))
    (define-key m (kbd "C-c C-y") #'assist-preview-accept-all)
    (define-key m (kbd "C-c C-k") #'assist-preview-reject)
    (define-key m (kbd "q") #'assist-preview-reject)
    m))

(define-minor-mode assist-preview-mode
  "Preview of an assist edit.
C-c C-a applies the hunk at point, C-c C-y all, q or C-c C-k rejects."
  :lighter " Preview")

(defun assist--preview (diff)
  (let ((root (assist--root))
        (b (get-buffer-create "*assist-preview*")))
    (with-current-buffer b
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert diff))
      (setq default-directory root)
      (diff-mode)
      (assist-preview-mode 1)
      (setq buffer-read-only t)
      ;; diff-mode's read-only keys (q = quit-window) live in
      ;; `minor-mode-overriding-map-alist'; put ours in front of them.
      (push (cons 'assist-preview-mode assist-preview-mode-map) minor-mode-overriding-map-alist)
      (goto-char (point-min))
      (ignore-errors (diff-hunk-next)))
    (display-buffer b)
    (message "assist: preview ready: C-c C-a applies the hunk at point, C-c C-y all, q rejects")
    b))

(defun assist-preview-accept-all ()
  "Apply every hunk of the preview."
  (interactive)
  (let ((starts nil) (buf (current-buffer)))
    (save-excursion
      (goto-char (point-min))
      (while (re-search-forward "^@@ " nil t)
        (push (line-beginning-position) starts)))
    (dolist (pos (nreverse starts))
      (goto-char pos)
      (diff-apply-hunk))
    (message "assist: applied %d hunk(s)" (length starts))
    (assist--close-preview buf)))

(defun assist--close-preview (buf)
  (let ((w (get-buffer-window buf)))
    (when (and w (not (one-window-p t))) (ignore-errors (delete-window w))))
  (kill-buffer buf))

(defun assist-preview-reject ()
  "Reject the edit: close the preview, change nothing."
  (interactive)
  (message "assist: edit rejected")
  (assist--close-preview (current-buffer)))

(defun assist--apply-edits (edits)
  "Apply EDITS, a plist URI → TextEdit[], to the files' buffers."
  (cl-loop for (key tes) on edits by #'cddr
           for uri = (substring (symbol-name key) 1)
           for file = (url-unhex-string (string-remove-prefix "file://" uri))
           do (with-current-buffer (find-file-noselect file)
                (let ((sorted (sort (append tes nil)
                                    (lambda (a b)
                                      (let ((pa (plist-get (plist-get a :range) :start))
                                            (pb (plist-get (plist-get b :range) :start)))
                                        (or (> (plist-get pa :line) (plist-get pb :line))
                                            (and (= (plist-get pa :line) (plist-get pb :line))
                                                 (> (plist-get pa :character) (plist-get pb :character)))))))))
                  (save-excursion
                    (dolist (te sorted)
                      (let* ((r (plist-get te :range))
                             (s (assist--point (plist-get r :start)))
                             (e (assist--point (plist-get r :end))))
                        (goto-char s)
                        (delete-region s e)
                        (insert (plist-get te :newText)))))))))

(defun assist--point (pos)
  (save-excursion
    (goto-char (point-min))
    (forward-line (plist-get pos :line))
    (min (line-end-position) (+ (point) (plist-get pos :character)))))

(provide 'assist)
;;; assist.el ends here
