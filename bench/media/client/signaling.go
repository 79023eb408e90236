package main

// Convene's WebSocket signalling (docs/signaling-protocol.md): JSON requests with ids, answers
// matched by id, notifications handed to a callback. Requests on one socket are answered in order.

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

type wsMessage struct {
	ID           json.RawMessage                 `json:"id,omitempty"`
	OK           *bool                           `json:"ok,omitempty"`
	Data         json.RawMessage                 `json:"data,omitempty"`
	Error        *struct{ Code, Message string } `json:"error,omitempty"`
	Notification string                          `json:"notification,omitempty"`
}

type signaling struct {
	conn    *websocket.Conn
	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int
	pending map[string]chan wsMessage
	onNote  func(name string, data json.RawMessage)
	closed  chan struct{}
}

func dialSignaling(url string, onNote func(string, json.RawMessage)) (*signaling, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	s := &signaling{conn: conn, pending: map[string]chan wsMessage{}, onNote: onNote, closed: make(chan struct{})}
	go s.readLoop()
	return s, nil
}

func (s *signaling) readLoop() {
	defer close(s.closed)
	for {
		_, raw, err := s.conn.ReadMessage()
		if err != nil {
			s.mu.Lock()
			for id, ch := range s.pending {
				close(ch)
				delete(s.pending, id)
			}
			s.mu.Unlock()
			return
		}
		var m wsMessage
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		if m.Notification != "" {
			if s.onNote != nil {
				s.onNote(m.Notification, m.Data)
			}
			continue
		}
		s.mu.Lock()
		ch := s.pending[string(m.ID)]
		delete(s.pending, string(m.ID))
		s.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

type requestError struct{ Code, Message string }

func (e *requestError) Error() string { return e.Code + ": " + e.Message }

func (s *signaling) request(method string, data any, out any, timeout time.Duration) error {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ch := make(chan wsMessage, 1)
	s.pending[fmt.Sprint(id)] = ch
	s.mu.Unlock()
	body, err := json.Marshal(map[string]any{"id": id, "method": method, "data": data})
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(timeout))
	err = s.conn.WriteMessage(websocket.TextMessage, body)
	s.writeMu.Unlock()
	if err != nil {
		return err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return errors.New(method + ": socket closed")
		}
		if m.OK == nil || !*m.OK {
			if m.Error != nil {
				return &requestError{m.Error.Code, m.Error.Message}
			}
			return errors.New(method + ": refused")
		}
		if out != nil && len(m.Data) > 0 {
			return json.Unmarshal(m.Data, out)
		}
		return nil
	case <-time.After(timeout):
		s.mu.Lock()
		delete(s.pending, fmt.Sprint(id))
		s.mu.Unlock()
		return errors.New(method + ": timed out")
	}
}

func (s *signaling) close() { _ = s.conn.Close() }
