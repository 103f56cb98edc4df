package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Crash-test child mode: TestMain runs crashChild instead of the tests when
// these variables are set (the test binary re-executes itself).
const (
	envCrashDir   = "HLSORIGIN_STORE_CRASH_DIR"
	envCrashStart = "HLSORIGIN_STORE_CRASH_START"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envCrashDir); dir != "" {
		start, _ := strconv.ParseUint(os.Getenv(envCrashStart), 10, 64)
		if err := crashChild(dir, start); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashSize varies segment sizes between 50 KB and ~1 MB.
func crashSize(seq uint64) int { return 50_000 + int(seq*7919%20)*50_000 }

// crashChild writes segments forever, printing each acked seq on stdout.
func crashChild(dir string, start uint64) error {
	s, err := Open(Options{Dir: dir, Logger: quietLogger()})
	if err != nil {
		return err
	}
	for seq := start; ; seq++ {
		err := s.PutSegment("crash", "v1", seq, time.Now(), []byte(strconv.FormatUint(seq, 10)), payload(seq, crashSize(seq)))
		if err != nil {
			return err
		}
		fmt.Printf("acked %d\n", seq)
	}
}

// TestAckedSegmentsSurviveKill9 kills a writer with SIGKILL mid-stream and
// checks that every acknowledged segment reads back byte for byte.
func TestAckedSegmentsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	dir := t.TempDir()
	var acked []uint64
	next := uint64(0)
	for round := range 6 {
		got := runAndKill(t, dir, next, 20+round*15)
		if len(got) == 0 {
			t.Fatalf("round %d: child acked nothing", round)
		}
		acked = append(acked, got...)
		next = got[len(got)-1] + 1
		verifyAcked(t, dir, acked)
	}
	t.Logf("%d acked segments survived 6 kills", len(acked))
}

// runAndKill starts the child, kills it after killAfter acks and returns all acks it printed.
func runAndKill(t *testing.T, dir string, start uint64, killAfter int) []uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashStart+"="+strconv.FormatUint(start, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	var acked []uint64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		seq, err := strconv.ParseUint(strings.TrimPrefix(sc.Text(), "acked "), 10, 64)
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acked = append(acked, seq)
		if len(acked) == killAfter {
			must(t, cmd.Process.Signal(syscall.SIGKILL))
		}
	}
	werr := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v, stderr: %s", werr, stderr.String())
	}
	return acked
}

func verifyAcked(t *testing.T, dir string, acked []uint64) {
	t.Helper()
	s, err := Open(Options{Dir: dir, Logger: quietLogger()})
	must(t, err)
	defer s.Close()
	for _, seq := range acked {
		data, ref, err := s.Segment("crash", "v1", seq)
		if err != nil {
			t.Fatalf("acked seq %d: %v", seq, err)
		}
		if !bytes.Equal(data, payload(seq, crashSize(seq))) || string(ref.Meta) != strconv.FormatUint(seq, 10) {
			t.Fatalf("acked seq %d: wrong bytes (%d) or meta %q", seq, len(data), ref.Meta)
		}
	}
}
