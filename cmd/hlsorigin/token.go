package main

import (
	"crypto/rand"
	"encoding/base64"
)

func randomToken() (string, error) {
	b := make([]byte, 32) // 43 characters
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
