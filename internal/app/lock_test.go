package app

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestASecondRunWaitsThenSaysWhoHoldsTheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "runbooks")
	unlock, err := Lock(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir, 100*time.Millisecond)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder the lock made is still there: %v", err)
	}
}

func TestRunsTakeTheFolderOneAtATime(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(dir, 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d runs held the folder at once", most)
	}
}
