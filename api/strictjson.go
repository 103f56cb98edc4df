package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"hlsorigin/origin"
)

// strictJSON decodes b into v: exactly one JSON object, unknown fields
// refused, nothing but white space after it.
func strictJSON(b []byte, v any) error {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("JSON body: a JSON object is required: %w", origin.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("JSON body: %v: %w", err, origin.ErrInvalid)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("JSON body: data after the JSON object: %w", origin.ErrInvalid)
	}
	return nil
}
