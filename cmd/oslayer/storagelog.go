package main

import (
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// storageLog formats what the containers-storage libraries log (at
// warning and above) the way oslayer's own warnings look.
type storageLog struct{}

func (storageLog) Format(e *logrus.Entry) ([]byte, error) {
	level := "warning"
	if e.Level <= logrus.ErrorLevel {
		level = "error"
	}
	return fmt.Appendf(nil, "oslayer: %s: containers-storage: %s\n", level, strings.TrimSpace(e.Message)), nil
}

func init() {
	logrus.SetLevel(logrus.WarnLevel)
	logrus.SetFormatter(storageLog{})
}
