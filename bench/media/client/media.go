package main

// Pre-encoded media, read once into memory and shared by every publisher: Opus packets from an
// Ogg file, VP8 frames from IVF files (one per simulcast layer), H.264 access units from an
// Annex-B file. Publishers loop them with RTP timestamps that keep increasing.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pion/webrtc/v4/pkg/media/h264reader"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// Clip is a looped sequence of encoded frames at a fixed frame interval.
type Clip struct {
	Frames     [][]byte
	FrameMs    int
	Keyframes  []bool
	TotalBytes int
}

// Library holds every clip a publisher may send.
type Library struct {
	Opus   *Clip
	VP8    []*Clip // low → high resolution
	H264   *Clip
	FPS    int
	Layers []string // file names, for the report
}

func loadLibrary(dir string, fps int) (*Library, error) {
	lib := &Library{FPS: fps}
	var err error
	if lib.Opus, err = loadOgg(filepath.Join(dir, "audio.ogg")); err != nil {
		return nil, err
	}
	for _, name := range []string{"vp8-l0.ivf", "vp8-l1.ivf", "vp8-l2.ivf"} {
		c, err := loadIVF(filepath.Join(dir, name), fps)
		if err != nil {
			return nil, err
		}
		lib.VP8 = append(lib.VP8, c)
		lib.Layers = append(lib.Layers, name)
	}
	if lib.H264, err = loadH264(filepath.Join(dir, "video.h264"), fps); err != nil {
		return nil, err
	}
	return lib, nil
}

func loadOgg(path string) (*Clip, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, _, err := oggreader.NewWith(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Clip{FrameMs: 20}
	for {
		page, hdr, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// The OpusTags page (granule 0) is metadata, not audio.
		if hdr.GranulePosition == 0 || len(page) == 0 {
			continue
		}
		c.Frames = append(c.Frames, page)
		c.Keyframes = append(c.Keyframes, true)
		c.TotalBytes += len(page)
	}
	if len(c.Frames) == 0 {
		return nil, fmt.Errorf("%s: no Opus packets", path)
	}
	return c, nil
}

func loadIVF(path string, fps int) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Clip{FrameMs: 1000 / fps}
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c.Frames = append(c.Frames, frame)
		c.Keyframes = append(c.Keyframes, len(frame) > 0 && frame[0]&0x01 == 0)
		c.TotalBytes += len(frame)
	}
	if len(c.Frames) == 0 || !c.Keyframes[0] {
		return nil, fmt.Errorf("%s: no frames, or not starting with a keyframe", path)
	}
	return c, nil
}

// loadH264 groups Annex-B NAL units into access units: a new unit starts at each slice after a slice.
func loadH264(path string, fps int) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := h264reader.NewReader(f)
	if err != nil {
		return nil, err
	}
	c := &Clip{FrameMs: 1000 / fps}
	var cur []byte
	curKey := false
	haveSlice := false
	flush := func() {
		if len(cur) > 0 {
			c.Frames = append(c.Frames, cur)
			c.Keyframes = append(c.Keyframes, curKey)
			c.TotalBytes += len(cur)
		}
		cur, curKey, haveSlice = nil, false, false
	}
	for {
		nal, err := r.NextNAL()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t := nal.UnitType
		isSlice := t == h264reader.NalUnitTypeCodedSliceNonIdr || t == h264reader.NalUnitTypeCodedSliceIdr
		if (isSlice && haveSlice) || (!isSlice && haveSlice) {
			flush()
		}
		if t == h264reader.NalUnitTypeCodedSliceIdr || t == h264reader.NalUnitTypeSPS {
			curKey = true
		}
		if isSlice {
			haveSlice = true
		}
		cur = append(cur, 0, 0, 0, 1)
		cur = append(cur, nal.Data...)
	}
	flush()
	if len(c.Frames) == 0 {
		return nil, fmt.Errorf("%s: no access units", path)
	}
	return c, nil
}
