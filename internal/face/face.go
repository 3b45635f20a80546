// Package face finds faces and their landmarks in a photo with the
// blazeface, facemesh and iris models, and derives the geometry an ID photo
// needs (eye centres, brow line, chin, head pose, eye openness). It holds
// the models' pre- and post-processing; the networks themselves run in
// internal/nn.
package face

// Point is a position in source-image pixels.
type Point struct{ X, Y float64 }

// Point3 is a landmark with facemesh's relative depth (same scale as X).
type Point3 struct{ X, Y, Z float64 }

// Rect is an axis-aligned box in source-image pixels.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// Face is one detected face. Coordinates are in the pixels of the image
// passed to the finder. "Left" and "right" are the subject's own.
type Face struct {
	Box   Rect    // detector box
	Score float64 // detector confidence in [0,1]
	// Keypoints from the detector, in blazeface order: right eye, left eye,
	// nose tip, mouth centre, right ear tragion, left ear tragion.
	Keypoints [6]Point

	// The fields below are filled only when landmarks ran.
	Presence     float64  // facemesh face-presence probability in [0,1]
	Mesh         []Point3 // the 468 facemesh landmarks
	RightEye     Point    // eye centre (iris centre when iris ran)
	LeftEye      Point
	BrowTop      Point   // highest point of the brows, on the face's vertical axis
	Chin         Point   // lowest point of the chin
	Roll         float64 // degrees, positive = head tilted clockwise in the image
	Yaw          float64 // degrees, positive = face turned to the image's right
	Pitch        float64 // degrees, positive = face looking up
	RightEyeOpen float64 // eye opening as height/width of the eye contour
	LeftEyeOpen  float64
}
