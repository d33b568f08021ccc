package sdclip.model.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A LoRA tag's weights as A1111's {@code extra_networks_lora.py} reads them. */
class ExtraNetworksTest {
    private static ExtraNetworks.LoraTag read(String tag) {
        List<ExtraNetworks.Tag> tags = ExtraNetworks.strip("x " + tag + " y").tags();
        assertEquals(1, tags.size(), tag);
        assertTrue(ExtraNetworks.isLora(tags.getFirst().kind()));
        return ExtraNetworks.lora(tags.getFirst());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "<lora:detail>                     | detail | 1.0  | 1.0",
                "<lora:detail:0.8>                 | detail | 0.8  | 0.8",
                "<lora:detail:0.8:0.3>             | detail | 0.8  | 0.3",
                "<lora:detail:te=0.5>              | detail | 0.5  | 0.5",
                "<lora:detail:0.8:unet=0.2>        | detail | 0.8  | 0.2",
                "<lora:detail:unet=0.2:0.9>        | detail | 0.9  | 0.2",
                "<lora:detail:0.8:0.3:te=1.5>      | detail | 1.5  | 0.3",
                "<lora:detail:te=1:unet=0:dyn=8>   | detail | 1.0  | 0.0",
                "<lyco:detail: 1_0.5 >             | detail | 10.5 | 10.5",
                "<lora:detail:1e-1:-2>             | detail | 0.1  | -2.0",
                "<lora:a=b=c:0.5>                  | a=b=c  | 0.5  | 0.5",
                "<lora:te=2:detail>                | detail | 2.0  | 2.0"
            })
    void weightsReadAsA1111ReadsThem(String tag, String name, double te, double unet) {
        ExtraNetworks.LoraTag t = read(tag.strip());
        assertEquals(name, t.name());
        assertEquals(te, t.te());
        assertEquals(unet, t.unet());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "<lora:detail:strong> | the text-encoder weight \"strong\" is not a number",
                "<lora:detail:1:x>    | the UNet weight \"x\" is not a number",
                "<lora:detail:te=>    | te= \"\" is not a number",
                "<lora:te=1>          | it names no network"
            })
    void whatA1111CannotReadIsRefusedWithAReason(String tag, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(tag.strip()));
        assertEquals(reason, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"lora, true", "lyco, true", "hypernet, false", "LORA, false", "lorax, false"})
    void loraKinds(String kind, boolean lora) {
        assertEquals(lora, ExtraNetworks.isLora(kind));
        if (!lora) assertFalse(ExtraNetworks.isLora(kind));
    }
}
