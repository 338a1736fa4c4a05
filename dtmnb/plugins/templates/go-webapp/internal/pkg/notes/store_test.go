package notes

import "testing"

func TestAddAndFind(t *testing.T) {
	s := NewStore()
	n := s.Add("second")
	got, ok := s.Find(n.ID)
	if !ok || got.Text != "second" {
		t.Fatalf("Find(%q) = %+v, %v", n.ID, got, ok)
	}
	if len(s.All()) != 2 {
		t.Fatalf("want 2 notes, got %d", len(s.All()))
	}
}
