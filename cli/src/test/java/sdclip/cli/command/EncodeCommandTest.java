package sdclip.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import sdclip.model.TensorSpec;
import sdclip.model.TextOutput;

/** What {@code encode} asks the encoder for, given the tensors it writes. */
class EncodeCommandTest {
    @Test
    void onlyPooledTensorsTakeTheFastPath() {
        Function<String, TensorSpec> spec = n -> new TensorSpec(n, "F32", new long[] {1, 8}, 0, null);
        assertTrue(EncodeCommand.requestFor(List.of(
                        spec.apply("input_ids"), spec.apply("pooled_output"), spec.apply("encoder2.text_embeds")))
                .isPooledOnly());
        assertFalse(EncodeCommand.requestFor(List.of(spec.apply("pooled_output"), spec.apply("encoder1.conditioning")))
                .isPooledOnly());
        assertEquals(
                Set.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT),
                EncodeCommand.requestFor(List.of(spec.apply("pooled_output"), spec.apply("encoder1.conditioning")))
                        .outputs());
    }
}
