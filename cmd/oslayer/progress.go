package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/layer"
)

// progressBars draws a bar on a terminal for each layer being read or
// written: its bytes done of its total, the rate and the time left. A nil
// *progressBars draws nothing.
type progressBars struct {
	p      *mpb.Progress
	stderr io.Writer
	// label is the widest a bar's name is drawn.
	label int

	mu      sync.Mutex
	live    map[*mpb.Bar]bool
	stopped bool
}

// startProgress returns the progress bars of cmd: on its stderr when that
// is a terminal and --quiet is not given, else nil. Stop them before the
// results are printed.
func startProgress(cmd *cobra.Command) *progressBars {
	quiet, _ := cmd.Flags().GetBool("quiet")
	w := cmd.ErrOrStderr()
	if !showProgress(w, quiet) {
		return nil
	}
	return &progressBars{
		p:      mpb.New(mpb.WithOutput(w)),
		stderr: w,
		label:  labelWidth(w.(*os.File)),
		live:   map[*mpb.Bar]bool{},
	}
}

// labelWidth is how wide a bar's name may be on the terminal f: what the
// bar, bytes, rate and time left do not need of its width.
func labelWidth(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 36 // for 80 columns
	}
	return min(max(int(ws.Col)-56, 24), 100)
}

// showProgress says whether progress bars are drawn on w: only on a
// terminal, and never with --quiet.
func showProgress(w io.Writer, quiet bool) bool {
	f, ok := w.(*os.File)
	return ok && !quiet && isTerminal(f)
}

// isTerminal reports whether f is a terminal (not merely a character
// device such as /dev/null).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// hook is what the libraries report progress to: nil when nothing is drawn.
func (b *progressBars) hook() layer.Progress {
	if b == nil {
		return nil
	}
	return b
}

// Start meters one layer (see layer.Progress); its bar is drawn once it
// has taken showAfter.
func (b *progressBars) Start(name string, total int64) layer.Meter {
	m := &barMeter{bars: b, name: name, total: total, start: time.Now()}
	m.timer = time.AfterFunc(showAfter, m.show)
	return m
}

// showAfter is how long a layer goes without a bar: the many that take
// less would only flash by.
const showAfter = 250 * time.Millisecond

// add adds a bar for a layer started at start, or returns nil once the
// bars have stopped.
func (b *progressBars) add(name string, total int64, start time.Time) *mpb.Bar {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return nil
	}
	bar := b.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(shorten(name, b.label), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
			decor.NewAverageSpeed(decor.SizeB1024(0), "% .1f", start, decor.WCSyncSpace),
			decor.NewAverageETA(decor.ET_STYLE_GO, start, nil, decor.WCSyncSpace),
		),
		mpb.BarRemoveOnComplete(),
	)
	b.live[bar] = true
	return bar
}

// Write prints p above the bars (warnings), or on stderr once they have
// stopped.
func (b *progressBars) Write(p []byte) (int, error) {
	if n, err := b.p.Write(p); err == nil {
		return n, nil
	}
	return b.stderr.Write(p)
}

// out is where warnings go while the bars may be drawn.
func (b *progressBars) out(stderr io.Writer) io.Writer {
	if b == nil {
		return stderr
	}
	return b
}

// stop removes every bar from the terminal and waits until it is clear.
// It may be called more than once.
func (b *progressBars) stop() {
	if b == nil {
		return
	}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	b.stopped = true
	for bar := range b.live {
		bar.Abort(true) // a layer still running: an error stopped the command
	}
	b.mu.Unlock()
	b.p.Wait()
}

func (b *progressBars) done(bar *mpb.Bar) {
	b.mu.Lock()
	delete(b.live, bar)
	b.mu.Unlock()
}

// barMeter counts one layer's bytes, and draws them on a bar from
// showAfter on: at once, then at most ten times a second, however often
// it hears.
type barMeter struct {
	bars  *progressBars
	name  string
	total int64
	start time.Time
	timer *time.Timer

	mu    sync.Mutex
	bar   *mpb.Bar // nil until shown
	count int64    // bytes heard
	drawn int64    // bytes on the bar
	last  time.Time
	done  bool
}

const redrawEvery = 100 * time.Millisecond

func (m *barMeter) show() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done {
		m.bar = m.bars.add(m.name, m.total, m.start)
		m.draw(time.Now())
	}
}

// draw moves the bar to what was heard; m.mu is held.
func (m *barMeter) draw(now time.Time) {
	if m.bar != nil {
		m.bar.IncrInt64(m.count - m.drawn)
		m.drawn, m.last = m.count, now
	}
}

func (m *barMeter) Add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count += n
	if now := time.Now(); m.bar != nil && now.Sub(m.last) >= redrawEvery {
		m.draw(now)
	}
}

// Done completes the bar where it is: a layer read only as far as needed,
// or one of unknown size, is finished too.
func (m *barMeter) Done() {
	m.timer.Stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done = true
	if m.bar != nil {
		m.draw(time.Now())
		m.bar.SetTotal(-1, true)
		m.bars.done(m.bar)
	}
}

// shorten cuts s to at most n runes, keeping its start (what is done, to
// which layer) and its end (a layer's position in an image, its
// components).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}
