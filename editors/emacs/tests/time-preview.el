;;; time-preview.el --- manual timing: seconds from assist-document to the preview -*- lexical-binding: t -*-
;; Not run by editors/emacs/test. With the daemon's default model (qwen2.5-coder-0.5b) and the real HOME:
;;   ASSIST_BIN=/path/to/assist emacs --batch -Q -L /usr/share/emacs/site-lisp/elpa/eglot-1.9 \
;;     -L editors/emacs -l editors/emacs/tests/time-preview.el
(load (expand-file-name "assist-test.el" (file-name-directory (or load-file-name buffer-file-name))))
(at-with :real
  (let ((assist-model nil) (assist-preview t) (t0 (float-time)))
    (goto-char (point-min))
    (assist-document)
    (if (at-wait (lambda () (get-buffer "*assist-preview*")) 300)
        (princ (format "emacs: %.2f s from assist-document to the preview\n%s\n" (- (float-time) t0)
                       (with-current-buffer "*assist-preview*" (buffer-string))))
      (princ (format "emacs: no preview within 300 s: %S\n" assist-last-error)))))
