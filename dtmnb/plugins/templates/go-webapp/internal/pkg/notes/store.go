// Package notes keeps short text notes in memory and serves them as JSON.
package notes

import (
	"strconv"
	"sync"
)

// Note is one stored note.
type Note struct {
	ID   string `json:"id"`
	Text string `json:"text" binding:"required"`
}

// Store is a concurrency-safe, in-memory list of notes.
type Store struct {
	mu    sync.RWMutex
	next  int
	notes []Note
}

// NewStore returns a store holding one welcome note.
func NewStore() *Store {
	s := &Store{}
	s.Add("Hello from DevStream!")
	return s
}

// Add stores a note and returns it with its new id.
func (s *Store) Add(text string) Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	n := Note{ID: strconv.Itoa(s.next), Text: text}
	s.notes = append(s.notes, n)
	return n
}

// All returns a copy of every note.
func (s *Store) All() []Note {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Note(nil), s.notes...)
}

// Find returns the note with the given id.
func (s *Store) Find(id string) (Note, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, n := range s.notes {
		if n.ID == id {
			return n, true
		}
	}
	return Note{}, false
}
