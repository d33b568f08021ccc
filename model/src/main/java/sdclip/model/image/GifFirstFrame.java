package sdclip.model.image;

import java.util.Arrays;
import javax.imageio.metadata.IIOMetadata;

import org.w3c.dom.Element;

/**
 * Where GIF's first frame sits on the logical screen, as Pillow composes it: the canvas is the
 * logical screen (grown to hold the frame), filled with the frame's transparent index, else 0.
 */
record GifFirstFrame(int screenWidth, int screenHeight, int left, int top, int fill) {

    static GifFirstFrame of(IIOMetadata stream, IIOMetadata image) {
        Element screen = stream == null
                ? null
                : MetadataTree.child(stream.getAsTree("javax_imageio_gif_stream_1.0"), "LogicalScreenDescriptor");
        var tree = image.getAsTree("javax_imageio_gif_image_1.0");
        Element descriptor = MetadataTree.child(tree, "ImageDescriptor");
        Element control = MetadataTree.child(tree, "GraphicControlExtension");
        boolean transparent = control != null && "TRUE".equalsIgnoreCase(control.getAttribute("transparentColorFlag"));
        return new GifFirstFrame(
                MetadataTree.intAttribute(screen, "logicalScreenWidth", 0),
                MetadataTree.intAttribute(screen, "logicalScreenHeight", 0),
                MetadataTree.intAttribute(descriptor, "imageLeftPosition", 0),
                MetadataTree.intAttribute(descriptor, "imageTopPosition", 0),
                transparent ? MetadataTree.intAttribute(control, "transparentColorIndex", 0) : 0);
    }

    int canvasWidth(int frameWidth) {
        return Math.max(screenWidth, left + frameWidth);
    }

    int canvasHeight(int frameHeight) {
        return Math.max(screenHeight, top + frameHeight);
    }

    /** The frame's indices placed on the canvas. */
    byte[] onCanvas(byte[] frame, int frameWidth, int frameHeight) {
        int w = canvasWidth(frameWidth), h = canvasHeight(frameHeight);
        if (w == frameWidth && h == frameHeight) return frame;
        byte[] canvas = new byte[w * h];
        Arrays.fill(canvas, (byte) fill);
        for (int y = 0; y < frameHeight; y++)
            System.arraycopy(frame, y * frameWidth, canvas, (top + y) * w + left, frameWidth);
        return canvas;
    }
}
