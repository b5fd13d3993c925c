// Package errs stands in for github.com/openimsdk/tools/errs in the start-up suite: the
// loaders only wrap errors with it, so wrapping keeps the message and the key/value pairs.
package errs

import "fmt"

func format(msg string, kv []any) string {
	for i := 0; i+1 < len(kv); i += 2 {
		msg += fmt.Sprintf(" %v=%v", kv[i], kv[i+1])
	}
	return msg
}

// WrapMsg wraps err with msg and the key/value pairs, as upstream does.
func WrapMsg(err error, msg string, kv ...any) error {
	return fmt.Errorf("%s: %w", format(msg, kv), err)
}

// Wrap returns err unchanged (upstream adds a stack trace).
func Wrap(err error) error { return err }

// CodeError is an error class such as ErrArgs.
type CodeError struct{ msg string }

func (c CodeError) Error() string { return c.msg }

// WrapMsg: the class's error with a message.
func (c CodeError) WrapMsg(msg string, kv ...any) error {
	return fmt.Errorf("%s: %s", c.msg, format(msg, kv))
}

// ErrArgs: invalid arguments (upstream code 1001, "ArgsError").
var ErrArgs = CodeError{msg: "ArgsError"}
