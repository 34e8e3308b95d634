package gitobj

import "testing"

func TestApplyDeltaRejectsCorruption(t *testing.T) {
	t.Parallel()
	base := []byte("hello world")
	tests := []struct {
		name  string
		delta []byte
	}{
		{"empty", nil},
		{"wrong base size", []byte{5, 5, 0x90, 5}},
		{"copy out of range", []byte{11, 20, 0x91, 8, 20}},
		{"insert too long", []byte{11, 2, 5, 'a', 'b', 'c', 'd', 'e'}},
		{"short result", []byte{11, 20, 0x90, 5}},
		{"reserved op", []byte{11, 1, 0}},
		{"truncated insert", []byte{11, 3, 3, 'a'}},
	}
	for _, tt := range tests {
		if _, err := applyDelta(base, tt.delta); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	out, err := applyDelta(base, []byte{11, 8, 0x91, 6, 5, 3, '!', '!', '!'})
	if err != nil || string(out) != "world!!!" {
		t.Errorf("applyDelta = %q, %v", out, err)
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("hello world"), []byte{11, 8, 0x91, 6, 5, 3, '!', '!', '!'})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err == nil {
			_, dst, _, _ := deltaSizes(delta)
			if uint64(len(out)) != dst {
				t.Fatalf("len %d, header says %d", len(out), dst)
			}
		}
	})
}
