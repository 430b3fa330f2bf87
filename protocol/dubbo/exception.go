package dubbo

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/apache/dubbo-go-hessian2/java_exception"

	"github.com/fleetrpc/fleet/protocol"
)

// Java class names fleet uses for exceptions it sends.
const (
	// RuntimeExceptionClass is the class a Go error travels as.
	RuntimeExceptionClass = "java.lang.RuntimeException"
	// GenericExceptionClass wraps business exceptions of generic calls.
	GenericExceptionClass = "com.alibaba.dubbo.rpc.service.GenericException"
)

// JavaException is a Java exception thrown by a provider (or sent by a Go
// provider on behalf of a Go error). Calls return it wrapped in a business
// *protocol.Error: errors.As(err, &javaErr) gives the class and message.
type JavaException struct {
	// Class is the Java class name ("java.lang.IllegalArgumentException").
	Class string
	// Message is the exception's detail message ("" when it had none).
	Message string
	// StackTrace lists the provider's frames as "class.method(file:line)".
	StackTrace []string
	// Cause is the exception's cause, nil when it had none.
	Cause *JavaException
	// Value is the decoded exception as the Hessian library returned it.
	Value any
}

// Error renders "class: message", as Java's Throwable.toString.
func (e *JavaException) Error() string {
	if e.Message == "" {
		return e.Class
	}
	return e.Class + ": " + e.Message
}

// Unwrap returns the cause, so errors.As also finds the Java causes.
func (e *JavaException) Unwrap() error {
	if e.Cause == nil {
		return nil
	}
	return e.Cause
}

// exceptionFromValue turns a decoded Throwable into a *JavaException. A
// GenericException is unwrapped into the class and message it carries.
func exceptionFromValue(v any) *JavaException {
	return exceptionDepth(v, 0)
}

func exceptionDepth(v any, depth int) *JavaException {
	e := &JavaException{Value: v}
	switch t := v.(type) {
	case nil:
		e.Class = "java.lang.Throwable"
	case map[string]any: // an unregistered class decoded to a map
		e.Class, _ = t["_class"].(string)
		e.Message, _ = t["detailMessage"].(string)
		if c, ok := t["exceptionClass"].(string); ok && c != "" {
			e.Class = c
			e.Message, _ = t["exceptionMessage"].(string)
		}
		if cause := t["cause"]; cause != nil && depth < 8 && !sameRef(cause, v) {
			e.Cause = exceptionDepth(cause, depth+1)
		}
	case java_exception.Throwabler:
		e.Class = t.JavaClassName()
		rv := reflect.Indirect(reflect.ValueOf(t))
		if rv.Kind() == reflect.Struct {
			if f := rv.FieldByName("DetailMessage"); f.IsValid() && f.Kind() == reflect.String {
				e.Message = f.String()
			}
			if g, ok := t.(*java_exception.DubboGenericException); ok && g.ExceptionClass != "" {
				e.Class, e.Message = g.ExceptionClass, g.ExceptionMessage
			}
			if f := rv.FieldByName("Cause"); f.IsValid() && !f.IsNil() && depth < 8 {
				if c := f.Interface(); !sameRef(c, v) {
					e.Cause = exceptionDepth(c, depth+1)
				}
			}
		}
		for _, s := range t.GetStackTrace() {
			e.StackTrace = append(e.StackTrace, fmt.Sprintf("%s.%s(%s:%d)", s.DeclaringClass, s.MethodName, s.FileName, s.LineNumber))
		}
	case error:
		e.Class = RuntimeExceptionClass
		e.Message = t.Error()
	default:
		e.Class = fmt.Sprintf("%T", v)
		e.Message = fmt.Sprint(v)
	}
	return e
}

// sameRef reports whether a and b are the same pointer (a Throwable whose
// cause is itself).
func sameRef(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Kind() != rb.Kind() {
		return false
	}
	switch ra.Kind() {
	case reflect.Pointer, reflect.Map:
		return ra.UnsafePointer() == rb.UnsafePointer()
	}
	return false
}

// ExceptionOf returns the Java class and message a provider sends for err:
// those of the first *JavaException in err's chain, else
// java.lang.RuntimeException with the message of the innermost cause fleet
// did not add itself (a service method's own error).
func ExceptionOf(err error) (class, message string) {
	var je *JavaException
	if errors.As(err, &je) {
		return je.Class, je.Message
	}
	var pe *protocol.Error
	for errors.As(err, &pe) && pe.Err != nil {
		err = pe.Err
	}
	return RuntimeExceptionClass, err.Error()
}

// writeException writes err as a Java exception object: a class definition
// with detailMessage, stackTrace, cause and suppressedExceptions (and
// exceptionClass, exceptionMessage for a GenericException), then the
// instance with an empty stack trace, a null cause and no suppressed
// exceptions. It must be the first object written with e (it takes class
// definition 0).
func writeException(e *encoder, err error) error {
	class, msg := ExceptionOf(err)
	var wrapped *genericError
	fields := []string{"detailMessage", "stackTrace", "cause", "suppressedExceptions"}
	if errors.As(err, &wrapped) {
		fields = append(fields, "exceptionClass", "exceptionMessage")
		class, msg = wrapped.class, wrapped.message
	}
	name := class
	if wrapped != nil {
		name = GenericExceptionClass
	}
	e.Append([]byte{tagClassDef})
	if err := e.Encode(name); err != nil {
		return err
	}
	if err := e.Encode(int32(len(fields))); err != nil {
		return err
	}
	for _, f := range fields {
		if err := e.Encode(f); err != nil {
			return err
		}
	}
	e.Append([]byte{tagObjectShort})
	detail := msg
	if wrapped != nil {
		detail = class + ": " + msg
	}
	if err := e.Encode(detail); err != nil {
		return err
	}
	e.Append([]byte{tagListShort})
	if err := e.Encode("[java.lang.StackTraceElement"); err != nil {
		return err
	}
	e.Append([]byte{tagNull, tagListShort})
	if err := e.Encode("java.util.Collections$EmptyList"); err != nil {
		return err
	}
	if wrapped != nil {
		if err := e.Encode(class); err != nil {
			return err
		}
		return e.Encode(msg)
	}
	return nil
}

// genericError marks an exception to be sent wrapped in a GenericException
// (the answer to a generic call).
type genericError struct {
	class, message string
}

func (g *genericError) Error() string { return g.class + ": " + g.message }
