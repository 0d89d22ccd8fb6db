namespace Toolkit.Runs;

/// <summary>An optimizer's state as a checkpoint stores it (<c>optimizer.safetensors</c>): the trainer's optimizer
/// implements it, so a checkpoint persists the state without knowing the optimizer.</summary>
public interface IOptimizerState
{
    /// <summary>Writes the state to <paramref name="path"/>.</summary>
    void Save(string path);

    /// <summary>Restores what <see cref="Save"/> wrote, for the same parameters.</summary>
    void Load(string path);
}
